// Package credentials keeps AWS credentials in files the AWS CLI and SDKs read,
// without the hand-edited sed pipelines that usually build them:
//
//	out, err := exec.Command("aws", "iam", "create-access-key", "--user-name", "alice").Output()
//	if err != nil {
//		return err
//	}
//	p, err := credentials.FromAccessKeyJSON(bytes.NewReader(out))
//	if err != nil {
//		return err
//	}
//	dir, err := credentials.OpenDir("/srv/workshop/creds") // creates nothing yet
//	if err != nil {
//		return err
//	}
//	if err := dir.Put(p); err != nil { // creates the folder 0700, the file 0600
//		return err
//	}
//	cfg, err := dir.LoadConfig(ctx, p.Name) // credentials and region from that file alone
//	if err != nil {
//		return err
//	}
//	fmt.Println("signed in to", cfg.Region, "as", p.Name)
//
// # One file per profile
//
// A [Dir] holds one credentials file per profile, <dir>/<profile>.ini, so a
// shared machine or a workshop never touches anybody's ~/.aws/credentials.
// [Dir.Env] gives the AWS_SHARED_CREDENTIALS_FILE and AWS_PROFILE settings that
// point a shell or a child process at the same file, and [Export] prints
// credentials as `aws configure export-credentials --format` does (process,
// env, env-no-export, powershell, windows-cmd, fish).
//
// # Editing the shared files
//
// [SharedFile] edits ~/.aws/credentials or ~/.aws/config in place. Comments,
// blank lines, line endings (LF, CRLF or CR), the order of sections and keys,
// settings kumo does not know and nested blocks survive byte for byte; only
// the lines a call changes differ (a changed line loses its inline comment,
// which botocore would otherwise read as part of the new value). Files are
// read as aws-sdk-go-v2's own loader reads them: `key = value # note` has the
// value "value", quotes around a value go, a header ends at # or ;. Values
// and names that the SDK would read back differently are refused.
// [SharedFile.Save] is atomic and refuses, with [ErrModifiedSinceRead], to
// overwrite a file that another process changed after it was read; with no
// edits it writes and creates nothing.
//
// aws-sdk-go-v2 splits files at LF only, so it finds no profile at all in a
// CR-only file (kumo, botocore and the AWS CLI read one); kumo keeps such a
// file CR-only, as it found it.
//
// # Files, links and hostile input
//
// Writes are atomic: a 0600 temporary file in the same folder (created with
// O_EXCL), fsync, rename, under a lock file opened with O_NOFOLLOW. A
// symbolic link the caller made (a profile file or ~/.aws/credentials linked
// elsewhere) is followed, but only into an existing folder that passes the
// same checks; no folder is created at the far end of a link, and the file
// at the end is opened with O_NOFOLLOW. Only regular files are read, at most
// 16 MiB of them; reading and editing take time linear in the file's size
// (a 16 MiB file of profiles is read and edited in 0.2-0.4 s, one of
// 3-byte lines in under a second) and allocate at most 12 times its size.
// Folders, files and links that belong to another user are refused, as are
// folders others can write (a shared file may sit in a sticky folder such
// as /tmp, a Dir may not); the advice in those errors is safe to follow. Temporary files a writer killed before its rename left
// behind are removed by the next write, under the lock.
//
// # credential_process
//
// [ProcessOutput] and [ParseProcessOutput] write and read the JSON that a
// credential_process command prints, AccountId included.
//
// # Secrets
//
// [Profile] redacts its secret key and session token in every printed form
// (fmt verbs, String, GoString, slog), and errors never quote them. [Export]
// and [ProcessOutput] are the deliberate ways to write a secret out.
package credentials
