// Package moto runs moto_server, a third-party AWS emulator, for integration
// tests.
//
// A test binary starts at most one server, on a free loopback port, the first
// time a test asks for it, and stops it when the tests end:
//
//	func TestMain(m *testing.M) { os.Exit(moto.Run(m)) }
//
//	func TestSomething(t *testing.T) {
//		cfg := moto.Config(t) // skips when moto_server is not installed
//		client := iam.NewFromConfig(cfg)
//		...
//	}
//
// SerialEndpoint and SerialConfig do the same for a second server that
// handles one request at a time: moto 5.2.1's threaded server races on SQS
// FIFO receives (two concurrent receivers can get messages of one group,
// out of order), so FIFO ordering tests use the serial one. It runs moto's
// WSGI app under werkzeug with threaded=False, in the python3 that has moto
// (MOTO_PYTHON overrides it).
//
// Where moto_server is missing the tests that need it skip, with a message
// saying how to install it, except under CI=true, where they fail: CI must
// not pass by skipping.
package moto

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// The account, region and credentials moto answers for.
const (
	AccountID = "123456789012"
	Region    = "us-east-1"
	AccessKey = "test"
	SecretKey = "test"
)

// binary is the command started; MOTO_SERVER overrides it.
func binary() string {
	if b := os.Getenv("MOTO_SERVER"); b != "" {
		return b
	}
	return "moto_server"
}

// serialApp serves moto's app on one thread; the port is its argument.
const serialApp = `import sys
from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
run_simple("127.0.0.1", int(sys.argv[1]), DomainDispatcherApplication(create_backend_app), threaded=False)`

// kind is how a server is started: the program and its arguments before the
// port.
type kind struct {
	once    sync.Once
	running *server
	command func() (path string, args []string, err error)
}

var (
	threaded = &kind{command: func() (string, []string, error) {
		path, err := exec.LookPath(binary())
		return path, []string{"-H", "127.0.0.1", "-p"}, err
	}}
	serial = &kind{command: func() (string, []string, error) {
		if _, err := exec.LookPath(binary()); err != nil {
			return "", nil, err // no moto: skip as Endpoint does
		}
		py := os.Getenv("MOTO_PYTHON")
		if py == "" {
			py = "python3"
		}
		path, err := exec.LookPath(py)
		return path, []string{"-c", serialApp}, err
	}}
)

type server struct {
	url string
	cmd *exec.Cmd
	err error
}

// Run runs the tests and then stops the servers that were started. Call it
// from TestMain.
func Run(m *testing.M) int {
	code := m.Run()
	for _, k := range []*kind{threaded, serial} {
		if k.running != nil && k.running.cmd != nil {
			stop(k.running.cmd)
		}
	}
	return code
}

// Endpoint returns the URL of the test binary's moto_server, starting it on
// first use. It skips the test when moto_server is not installed, or fails
// it under CI=true.
func Endpoint(t testing.TB) string {
	t.Helper()
	return threaded.endpoint(t)
}

// SerialEndpoint is Endpoint for the server that handles one request at a
// time; use it for SQS FIFO ordering tests.
func SerialEndpoint(t testing.TB) string {
	t.Helper()
	return serial.endpoint(t)
}

func (k *kind) endpoint(t testing.TB) string {
	t.Helper()
	k.once.Do(func() { k.running = k.start() })
	if k.running.err != nil {
		if errors.Is(k.running.err, exec.ErrNotFound) && os.Getenv("CI") != "true" {
			t.Skipf("moto_server not found (%v); install it with: pip install 'moto[server]'", k.running.err)
		}
		t.Fatalf("moto: %v", k.running.err)
	}
	return k.running.url
}

// Config returns an aws.Config for the test binary's moto_server: its
// endpoint, region us-east-1 and the static credentials test/test.
func Config(t testing.TB) aws.Config {
	t.Helper()
	return config(Endpoint(t))
}

// SerialConfig is Config for the server that handles one request at a
// time.
func SerialConfig(t testing.TB) aws.Config {
	t.Helper()
	return config(SerialEndpoint(t))
}

func config(endpoint string) aws.Config {
	return aws.Config{
		Region:       Region,
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, ""),
	}
}

func (k *kind) start() *server {
	path, args, err := k.command()
	if err != nil {
		return &server{err: err}
	}
	// A free port can be taken between our probe and moto's bind: try again.
	for range 3 {
		port, err := freePort()
		if err != nil {
			return &server{err: err}
		}
		cmd := exec.Command(path, append(args, strconv.Itoa(port))...)
		cmd.Stdout, cmd.Stderr = nil, nil
		setProcAttr(cmd)
		if err := cmd.Start(); err != nil {
			return &server{err: err}
		}
		url := "http://127.0.0.1:" + strconv.Itoa(port)
		if err = waitReady(cmd, url, 60*time.Second); err == nil {
			return &server{url: url, cmd: cmd}
		}
		stop(cmd)
	}
	return &server{err: fmt.Errorf("moto_server did not start on a free port after 3 tries")}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func waitReady(cmd *exec.Cmd, url string, limit time.Duration) error {
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/moto-api/data.json", nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-exited:
			return fmt.Errorf("moto_server exited before answering: %v", err)
		case <-ctx.Done():
			return fmt.Errorf("moto_server did not answer at %s within %s", url, limit)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

var nameSeq atomic.Uint64

// UniqueName returns prefix followed by a suffix no other call in this
// process returns, and that differs between runs (-count=N reuses a server
// only within one process).
func UniqueName(prefix string) string {
	return fmt.Sprintf("%s%d-%d", prefix, time.Now().UnixNano(), nameSeq.Add(1))
}

// NewUser creates an IAM user with a unique name and returns its name and
// ARN. A create the SDK retried after moto had carried out the first try
// (seen under load in CI) answers EntityAlreadyExists; as the name is ours
// alone, that means the user exists as wanted, so NewUser reads it back.
func NewUser(t testing.TB, client *iam.Client, prefix string) (name, arn string) {
	t.Helper()
	ctx := context.Background()
	name = UniqueName(prefix)
	out, err := client.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)})
	var exists *iamtypes.EntityAlreadyExistsException
	switch {
	case errors.As(err, &exists):
		got, err := client.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(name)})
		if err != nil {
			t.Fatalf("moto: reading back user %s: %v", name, err)
		}
		return name, aws.ToString(got.User.Arn)
	case err != nil:
		t.Fatalf("moto: creating user %s: %v", name, err)
	}
	return name, aws.ToString(out.User.Arn)
}

// NewKeyStoreTable creates a table with a branch key store's schema
// (partition key "branch-key-id", sort key "type", both strings) and a
// unique name, and returns the name.
func NewKeyStoreTable(t testing.TB, client *dynamodb.Client) string {
	t.Helper()
	name := UniqueName("keystore")
	_, err := client.CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName: aws.String(name),
		KeySchema: []ddbtypes.KeySchemaElement{
			{AttributeName: aws.String("branch-key-id"), KeyType: ddbtypes.KeyTypeHash},
			{AttributeName: aws.String("type"), KeyType: ddbtypes.KeyTypeRange},
		},
		AttributeDefinitions: []ddbtypes.AttributeDefinition{
			{AttributeName: aws.String("branch-key-id"), AttributeType: ddbtypes.ScalarAttributeTypeS},
			{AttributeName: aws.String("type"), AttributeType: ddbtypes.ScalarAttributeTypeS},
		},
		BillingMode: ddbtypes.BillingModePayPerRequest,
	})
	if err != nil {
		t.Fatalf("moto: creating key store table %s: %v", name, err)
	}
	return name
}
