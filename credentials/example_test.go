package credentials_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/kumo-go/kumo/credentials"
)

// The output of `aws iam create-access-key --user-name alice`, kept in one
// file of its own instead of a shared ~/.aws/credentials.
func ExampleDir() {
	out := `{"AccessKey": {"UserName": "alice", "AccessKeyId": "AKIAIOSFODNN7EXAMPLE", "Status": "Active",
		"SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "CreateDate": "2026-11-22T10:00:00+00:00"}}`
	p, err := credentials.FromAccessKeyJSON(strings.NewReader(out))
	if err != nil {
		log.Fatal(err)
	}
	p.Region = "eu-west-1"

	root, _ := os.MkdirTemp("", "workshop")
	defer os.RemoveAll(root)
	dir, err := credentials.OpenDir(filepath.Join(root, "creds"))
	if err != nil {
		log.Fatal(err)
	}
	if err := dir.Put(p); err != nil {
		log.Fatal(err)
	}
	fmt.Println(p) // the secret never prints
	path, _ := dir.Path("alice")
	data, _ := os.ReadFile(path)
	fmt.Print(string(data))
	// Output:
	// Profile{Name:"alice" AccessKeyID:"AKIAIOSFODNN7EXAMPLE" SecretAccessKey:"[redacted]" Region:"eu-west-1"}
	// [alice]
	// aws_access_key_id = AKIAIOSFODNN7EXAMPLE
	// aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
	// region = eu-west-1
}

// Adding a profile to ~/.aws/config without disturbing anything else in it.
func ExampleSharedFile() {
	root, _ := os.MkdirTemp("", "aws")
	defer os.RemoveAll(root)
	path := filepath.Join(root, "config")
	os.WriteFile(path, []byte("# my settings\n[default]\nregion = us-east-1\n\n[sso-session corp]\nsso_region = us-east-1\n"), 0o600)

	f, err := credentials.OpenSharedFile(path, credentials.ConfigFile)
	if err != nil {
		log.Fatal(err)
	}
	if err := f.Set(credentials.Profile{Name: "ci", Region: "eu-north-1"}); err != nil {
		log.Fatal(err)
	}
	if err := f.SetKey("ci", "output", "json"); err != nil {
		log.Fatal(err)
	}
	if err := f.Save(); err != nil { // fails with ErrModifiedSinceRead if someone else saved first
		log.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	fmt.Print(string(data))
	// Output:
	// # my settings
	// [default]
	// region = us-east-1
	//
	// [sso-session corp]
	// sso_region = us-east-1
	//
	// [profile ci]
	// region = eu-north-1
	// output = json
}

// A credential_process command prints credentials this way.
func ExampleProcessOutput() {
	p := credentials.Profile{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
	out, err := credentials.ProcessOutput(p.Credentials())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(out))
	// Output:
	// {"Version":1,"AccessKeyId":"AKIAIOSFODNN7EXAMPLE","SecretAccessKey":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
}

// Printing credentials for a shell, as `aws configure export-credentials
// --format env` does; a value a shell would interpret comes out quoted.
func ExampleExport() {
	creds := aws.Credentials{AccessKeyID: "ASIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		SessionToken: "IQoJb3JpZ2luX2VjEXAMPLE==", CanExpire: true, Expires: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)}
	out, err := credentials.Export(creds, credentials.FormatEnv)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(string(out))
	// Output:
	// export AWS_ACCESS_KEY_ID=ASIAIOSFODNN7EXAMPLE
	// export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
	// export AWS_SESSION_TOKEN=IQoJb3JpZ2luX2VjEXAMPLE==
	// export AWS_CREDENTIAL_EXPIRATION=2026-11-22T12:00:00+00:00
}
