package moto

import (
	"context"
	"net/http"
	"os"
	"strings"
	"testing"
)

func TestMain(m *testing.M) { os.Exit(Run(m)) }

func TestEndpointAndConfig(t *testing.T) {
	e := Endpoint(t)
	if !strings.HasPrefix(e, "http://127.0.0.1:") {
		t.Fatalf("endpoint %q is not on loopback", e)
	}
	if again := Endpoint(t); again != e {
		t.Fatalf("a second call started another server: %q then %q", e, again)
	}
	resp, err := http.Get(e + "/moto-api/data.json")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("moto answered %s", resp.Status)
	}
	cfg := Config(t)
	c, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil || c.AccessKeyID != AccessKey || c.SecretAccessKey != SecretKey || cfg.Region != Region || *cfg.BaseEndpoint != e {
		t.Fatalf("config %+v, credentials %v, %v", cfg, c.AccessKeyID, err)
	}
}

// TestSerialEndpoint starts the one-request-at-a-time server beside the
// threaded one: two servers, each answering.
func TestSerialEndpoint(t *testing.T) {
	e, s := Endpoint(t), SerialEndpoint(t)
	if e == s || SerialEndpoint(t) != s {
		t.Fatalf("threaded %q, serial %q: want two servers, each started once", e, s)
	}
	resp, err := http.Get(s + "/moto-api/data.json")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("serial moto answered %s", resp.Status)
	}
	if *SerialConfig(t).BaseEndpoint != s {
		t.Fatal("SerialConfig does not point at the serial server")
	}
}
