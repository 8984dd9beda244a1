package interop

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/internal/moto"
	"github.com/kumo-go/kumo/kms"
)

// nodeHierarchy runs node/hierarchy.js: the official JavaScript SDK's
// branch key store and hierarchical keyring, on moto.
func nodeHierarchy(t *testing.T, cfg map[string]any, input []byte) ([]byte, error) {
	t.Helper()
	nodeBin := need(t, "node")
	if _, err := os.Stat(filepath.Join("node", "node_modules", "@aws-crypto", "client-node")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("run `npm ci` in interop/node first (.ci/run does)")
		}
		t.Skip("run `npm ci` in interop/node to install @aws-crypto/client-node")
	}
	arg, err := json.Marshal(cfg)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, nodeBin, filepath.Join("node", "hierarchy.js"), string(arg))
	cmd.Stdin = bytes.NewReader(input)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("node: %w: %s", err, stderr.String())
	}
	return out.Bytes(), nil
}

// keyStoreTable creates a key store table in moto with the official
// schema: partition key branch-key-id, sort key type, both strings.
func keyStoreTable(t *testing.T, ctx context.Context, ddb *dynamodb.Client) string {
	t.Helper()
	table := moto.UniqueName("keystore")
	_, err := ddb.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: aws.String(table),
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
	require.NoError(t, err)
	return table
}

// Hierarchical keyring messages cross between the official JavaScript SDK
// (KmsHierarchicalKeyRingNode and BranchKeyStoreNode) and kumo, on one key
// store table in moto's DynamoDB with its branch keys wrapped by moto's
// KMS: branch keys created and versioned by either side, messages written
// by either side, in both suites, read by the other.
func TestHierarchicalKeyringWithNodeSDK(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cfg := moto.Config(t)
	ddb := dynamodb.NewFromConfig(cfg)
	kmsClient := awskms.NewFromConfig(cfg)
	key, err := kmsClient.CreateKey(ctx, &awskms.CreateKeyInput{Description: aws.String("kumo key store")})
	require.NoError(t, err)
	kmsARN := aws.ToString(key.KeyMetadata.Arn)
	table := keyStoreTable(t, ctx, ddb)
	const logical = "kumo-interop-keystore"
	store, err := kms.NewBranchKeyStore(ddb, kmsClient, table, logical, kmsARN)
	require.NoError(t, err)
	node := func(cfg map[string]any, in []byte) ([]byte, error) {
		cfg["endpoint"], cfg["table"], cfg["logicalName"], cfg["kmsArn"] = moto.Endpoint(t), table, logical, kmsARN
		return nodeHierarchy(t, cfg, in)
	}

	// Branch keys: one the official store creates (an ID of its choosing),
	// one kumo creates (an ID of kumo's, with custom context).
	jsID, err := node(map[string]any{"op": "create"}, nil)
	require.NoError(t, err)
	kumoID, err := store.CreateBranchKey(ctx, "tenant-acme", map[string]string{"tenant": "acme"})
	require.NoError(t, err)
	require.Equal(t, "tenant-acme", kumoID)
	_, err = store.CreateBranchKey(ctx, "tenant-acme", map[string]string{"tenant": "acme"})
	require.Error(t, err, "an existing branch key ID is refused")

	ec := map[string]string{"purpose": "interop", "ünï": "cödé", "Zed": "upper"}
	pt := bytes.Repeat([]byte("hierarchical "), 1000)
	check := func(t *testing.T, id string) {
		for _, suite := range []kms.Suite{kms.SuiteCommitted, kms.SuiteCommittedSigned} {
			ring, err := kms.NewHierarchicalKeyring(store, id)
			require.NoError(t, err)
			k, err := kms.New(ring, func(o *kms.Options) { o.Suite = suite })
			require.NoError(t, err)

			// The official SDK encrypts; kumo decrypts.
			msg, err := node(map[string]any{"op": "encrypt", "branchKeyId": id, "context": ec, "suite": fmt.Sprintf("%04x", uint16(suite))}, pt)
			require.NoError(t, err)
			got, h, err := k.DecryptWithHeader(ctx, msg, ec)
			require.NoError(t, err, "kumo decrypts the official SDK's message")
			assert.True(t, bytes.Equal(pt, got))
			require.Len(t, h.EncryptedDataKeys, 1)
			assert.Equal(t, "aws-kms-hierarchy", h.EncryptedDataKeys[0].ProviderID)
			assert.Equal(t, id, string(h.EncryptedDataKeys[0].ProviderInfo))
			_, err = k.Decrypt(ctx, msg, map[string]string{"not": "stored"})
			require.ErrorIs(t, err, kms.ErrNoDataKey, "the wrap is bound to the whole context")

			// kumo encrypts; the official SDK decrypts, and reports the
			// same authenticated header as kumo.
			msg, err = k.Encrypt(ctx, pt, ec)
			require.NoError(t, err)
			out, err := node(map[string]any{"op": "decrypt", "branchKeyId": id, "context": ec, "header": true}, msg)
			require.NoError(t, err, "the official SDK decrypts kumo's message")
			var js struct {
				Plaintext         []byte
				SuiteID           int
				FrameLength       int
				EncryptionContext map[string]string
				EncryptedDataKeys []struct{ ProviderID, ProviderInfo string }
			}
			require.NoError(t, json.Unmarshal(out, &js))
			assert.True(t, bytes.Equal(pt, js.Plaintext))
			_, h, err = k.DecryptWithHeader(ctx, msg, ec)
			require.NoError(t, err)
			assert.Equal(t, js.EncryptionContext, h.EncryptionContext, "the context both report")
			assert.Equal(t, int(h.Suite), js.SuiteID)
			assert.Equal(t, h.FrameLength, js.FrameLength)
			require.Len(t, js.EncryptedDataKeys, 1)
			assert.Equal(t, h.EncryptedDataKeys[0].ProviderID, js.EncryptedDataKeys[0].ProviderID)
			assert.Equal(t, string(h.EncryptedDataKeys[0].ProviderInfo), js.EncryptedDataKeys[0].ProviderInfo)
		}
	}
	t.Run("created by the official store", func(t *testing.T) { check(t, string(jsID)) })
	t.Run("created by kumo", func(t *testing.T) { check(t, kumoID) })

	// Rotation on either side: messages under old versions still decrypt,
	// new ones use the new version.
	for name, rotate := range map[string]func(id string) error{
		"versioned by the official store": func(id string) error {
			_, err := node(map[string]any{"op": "version", "branchKeyId": id}, nil)
			return err
		},
		"versioned by kumo": func(id string) error { return store.VersionBranchKey(ctx, id) },
	} {
		t.Run(name, func(t *testing.T) {
			for _, id := range []string{string(jsID), kumoID} {
				ring, err := kms.NewHierarchicalKeyring(store, id)
				require.NoError(t, err)
				k, err := kms.New(ring)
				require.NoError(t, err)
				before, err := k.Encrypt(ctx, pt, ec)
				require.NoError(t, err)
				jsBefore, err := node(map[string]any{"op": "encrypt", "branchKeyId": id, "context": ec}, pt)
				require.NoError(t, err)
				require.NoError(t, rotate(id))

				fresh, err := kms.NewHierarchicalKeyring(store, id) // no cached active version
				require.NoError(t, err)
				k2, err := kms.New(fresh)
				require.NoError(t, err)
				after, err := k2.Encrypt(ctx, pt, ec)
				require.NoError(t, err)
				jsAfter, err := node(map[string]any{"op": "encrypt", "branchKeyId": id, "context": ec}, pt)
				require.NoError(t, err)
				assert.NotEqual(t, version(t, before), version(t, after), "a new active version")
				assert.Equal(t, version(t, after), version(t, jsAfter), "both sides use the new active version")
				assert.Equal(t, version(t, before), version(t, jsBefore))
				for _, msg := range [][]byte{before, jsBefore, after, jsAfter} {
					got, err := k2.Decrypt(ctx, msg, ec)
					require.NoError(t, err)
					assert.True(t, bytes.Equal(pt, got))
				}
				for _, msg := range [][]byte{before, after} {
					got, err := node(map[string]any{"op": "decrypt", "branchKeyId": id, "context": ec}, msg)
					require.NoError(t, err)
					assert.True(t, bytes.Equal(pt, got))
				}
			}
		})
	}
}

// version is the branch key version's bytes in a message's only encrypted
// data key: after the 16-byte salt and the 12-byte IV.
func version(t *testing.T, msg []byte) []byte {
	t.Helper()
	h, err := kms.ParseHeader(bytes.NewReader(msg))
	require.NoError(t, err)
	require.Len(t, h.EncryptedDataKeys, 1)
	return h.EncryptedDataKeys[0].Ciphertext[28:44]
}
