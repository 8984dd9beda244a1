// Package credentials keeps AWS credentials in files the AWS CLI and SDKs read,
// without the hand-edited sed pipelines that usually build them.
//
// # One file per profile
//
// A [Dir] holds one credentials file per profile, <dir>/<profile>.ini, so a
// shared machine or a workshop never touches anybody's ~/.aws/credentials.
// Files are written atomically (a 0600 temporary file in the same folder,
// fsync, rename) under a lock, inside a 0700 folder:
//
//	out, _ := exec.Command("aws", "iam", "create-access-key", "--user-name", "alice").Output()
//	p, err := credentials.FromAccessKeyJSON(bytes.NewReader(out))
//	if err != nil {
//		return err
//	}
//	dir, err := credentials.OpenDir("/srv/workshop/creds")
//	if err != nil {
//		return err
//	}
//	if err := dir.Put(p); err != nil {
//		return err
//	}
//	cfg, err := dir.LoadConfig(ctx, p.Name) // an aws.Config that uses that file only
//
// [Dir.Env] gives the AWS_SHARED_CREDENTIALS_FILE and AWS_PROFILE settings that
// point a shell or a child process at the same file.
//
// # Editing the shared files
//
// [SharedFile] edits ~/.aws/credentials or ~/.aws/config in place. Comments,
// blank lines, the order of sections and keys, settings kumo does not know and
// nested blocks survive byte for byte; only the lines a call changes differ.
// [SharedFile.Save] is atomic and refuses, with [ErrModifiedSinceRead], to
// overwrite a file that another process changed after it was read.
//
// # credential_process
//
// [ProcessOutput] and [ParseProcessOutput] write and read the JSON that a
// credential_process command prints.
//
// # Secrets
//
// [Profile] redacts its secret key and session token in every printed form
// (fmt verbs, String, GoString, slog), and errors never quote them.
package credentials
