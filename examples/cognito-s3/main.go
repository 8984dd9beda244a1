// Command cognito-s3 signs a user in to a Cognito user pool, exchanges the
// tokens at an identity pool for AWS credentials, lists a bucket with them
// and tries a PUT, reporting whether the role denied it.
//
//	go run ./examples/cognito-s3 -user-pool-id ID -client-id ID [-client-secret S] -identity-pool-id ID
//	    -username U -password P [-new-password NP] [-flow srp|password|admin] -bucket B [-endpoint URL] [-region R]
//
// Without -endpoint it runs offline: the pools are cognitotest's, and S3 is
// a small in-process stand-in whose role may read but not write. With
// -endpoint it talks to that emulator (moto) for Cognito and S3.
//
// -h prints the usage; a wrong command line prints it and exits 2; any
// other error exits 1 with one line on standard error.
package main

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/kumo-go/kumo/cognitoauth"
	"github.com/kumo-go/kumo/cognitoauth/cognitotest"
	"github.com/kumo-go/kumo/internal/cli"
)

const synopsis = `cognito-s3 -username U -password P -bucket B [-new-password NP] [-flow srp|password|admin]
           [-user-pool-id ID -client-id ID [-client-secret S] -identity-pool-id ID -endpoint URL] [-region R]

Signs a user in to a Cognito user pool, trades the tokens at an identity
pool for AWS credentials, lists bucket B with them and tries a PUT.
Without -endpoint everything runs in process.`

func main() {
	err := run(context.Background(), os.Args[1:], os.Stdout)
	os.Exit(cli.Exit("cognito-s3", err, os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := cli.NewFlagSet("cognito-s3", synopsis)
	var cfg cognitoauth.Options
	var userPoolID, clientID string
	fs.StringVar(&userPoolID, "user-pool-id", "", "user pool ID (offline: any)")
	fs.StringVar(&clientID, "client-id", "", "app client ID")
	fs.StringVar(&cfg.ClientSecret, "client-secret", "", "app client secret, if it has one")
	fs.StringVar(&cfg.IdentityPoolID, "identity-pool-id", "", "identity pool ID")
	username := fs.String("username", "", "user name")
	password := fs.String("password", "", "password")
	newPassword := fs.String("new-password", "", "answer to NEW_PASSWORD_REQUIRED")
	flowName := fs.String("flow", "srp", "srp, password or admin")
	bucket := fs.String("bucket", "", "bucket to list")
	endpoint := fs.String("endpoint", "", "AWS endpoint URL, such as an emulator's (moto_server); default: everything in process")
	region := fs.String("region", "us-east-1", "AWS region")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *username == "" || *password == "" || *bucket == "" {
		return fs.Usagef("-username, -password and -bucket are required")
	}
	flow, ok := map[string]cognitoauth.Flow{"srp": cognitoauth.FlowSRP, "password": cognitoauth.FlowPassword, "admin": cognitoauth.FlowAdminPassword}[*flowName]
	if !ok {
		return fs.Usagef("-flow %q: want srp, password or admin", *flowName)
	}
	cfg.Region = *region

	var idp cognitoauth.IdentityProviderAPI
	var ids cognitoauth.IdentityAPI
	s3Endpoint := *endpoint
	if *endpoint == "" {
		pool := cognitotest.New(func(o *cognitotest.Options) { o.Region = *region })
		pool.AddUser(*username, *password, cognitotest.User{Email: *username + "@example.com"})
		idp, ids = pool, pool
		userPoolID, clientID = pool.UserPoolID(), pool.ClientID()
		pool.ClientOptions(&cfg)
		srv := httptest.NewServer(readOnlyS3(*bucket))
		defer srv.Close()
		s3Endpoint = srv.URL
		fmt.Fprintln(out, "offline: an in-process user pool and identity pool, and an S3 stand-in whose role may read but not write")
	} else {
		awsCfg := aws.Config{Region: *region, BaseEndpoint: aws.String(*endpoint),
			Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}
		idp, ids = cip.NewFromConfig(awsCfg), cognitoidentity.NewFromConfig(awsCfg)
	}
	if userPoolID == "" || clientID == "" || cfg.IdentityPoolID == "" {
		return fs.Usagef("-user-pool-id, -client-id and -identity-pool-id are required with -endpoint")
	}
	client, err := cognitoauth.New(idp, ids, userPoolID, clientID, func(o *cognitoauth.Options) {
		*o = cfg
		o.Flow = flow
		o.ChallengeHandler = func(_ context.Context, ch cognitoauth.Challenge) (map[string]string, error) {
			if ch.Name == "NEW_PASSWORD_REQUIRED" && *newPassword != "" {
				return map[string]string{"NEW_PASSWORD": *newPassword}, nil
			}
			return nil, &cognitoauth.ChallengeError{Name: ch.Name, Parameters: ch.Parameters}
		}
	})
	if err != nil {
		return err
	}
	tokens, err := client.SignIn(ctx, *username, *password)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "signed in as %s (sub %s), tokens until %s\n", tokens.Claims.Username, tokens.Claims.Subject, tokens.Expires.Format("15:04:05"))

	s3c := s3.New(s3.Options{Region: *region, BaseEndpoint: aws.String(s3Endpoint), UsePathStyle: true,
		Credentials: aws.NewCredentialsCache(client.CredentialsProvider(tokens))})
	list, err := s3c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(*bucket)})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%s holds %d object(s):\n", *bucket, len(list.Contents))
	for _, o := range list.Contents {
		fmt.Fprintln(out, "  "+aws.ToString(o.Key))
	}
	_, err = s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(*bucket), Key: aws.String("cognito-s3-probe.txt"), Body: strings.NewReader("probe")})
	var apiErr smithy.APIError
	switch {
	case err == nil:
		fmt.Fprintln(out, "PUT allowed: the role may write to the bucket")
	case errors.As(err, &apiErr) && apiErr.ErrorCode() == "AccessDenied":
		fmt.Fprintln(out, "PUT denied: the role may read but not write (AccessDenied)")
	default:
		return err
	}
	return nil
}

// readOnlyS3 answers ListObjectsV2 for bucket and refuses writes, as S3 does
// for a role without s3:PutObject.
func readOnlyS3(bucket string) http.Handler {
	type object struct {
		Key  string `xml:"Key"`
		Size int    `xml:"Size"`
	}
	type listing struct {
		XMLName  xml.Name `xml:"ListBucketResult"`
		Name     string   `xml:"Name"`
		KeyCount int      `xml:"KeyCount"`
		Contents []object `xml:"Contents"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 Credential=ASIA") {
			http.Error(w, "<Error><Code>AccessDenied</Code><Message>no temporary credentials</Message></Error>", http.StatusForbidden)
			return
		}
		if r.Method == http.MethodGet && strings.TrimPrefix(r.URL.Path, "/") == bucket {
			w.Header().Set("Content-Type", "application/xml")
			_ = xml.NewEncoder(w).Encode(listing{Name: bucket, KeyCount: 2, Contents: []object{{"reports/q3.pdf", 1024}, {"reports/q4.pdf", 2048}}})
			return
		}
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>")
	})
}
