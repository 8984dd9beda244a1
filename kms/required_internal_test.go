package kms

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A message kumo writes with a required encryption context is checked by
// the independent parser of esdkwriter_test.go, from the specification
// (client-apis/encrypt.md, "encryption context to only authenticate"): the
// header stores only the other pairs; the data key is wrapped under the
// whole context; the header tag covers the body followed by the serialized
// required pairs, and not the body alone.
func TestRequiredContextWireFormat(t *testing.T) {
	kr, err := NewRawAESKeyring(twNamespace, twKeyName, twWrapKey)
	require.NoError(t, err)
	full := map[string]string{"tenant": "acme", "region": "eu", "purpose": "backup"}
	only := map[string]string{"tenant": "acme", "region": "eu"}
	for _, suite := range []Suite{SuiteCommitted, SuiteCommittedSigned} {
		c, err := New(kr, func(o *Options) {
			o.Suite, o.FrameSize = suite, 64
			o.RequiredEncryptionContextKeys = []string{"tenant", "region", "tenant"}
		})
		require.NoError(t, err)
		msg, err := c.Encrypt(context.Background(), bytes.Repeat([]byte("x"), 200), full)
		require.NoError(t, err)
		p := twParse(msg)
		stored := map[string]string{"purpose": "backup"}
		whole := map[string]string{"tenant": "acme", "region": "eu", "purpose": "backup"}
		if pub, ok := p.fullEC["aws-crypto-public-key"]; ok {
			stored["aws-crypto-public-key"] = pub
			whole["aws-crypto-public-key"] = pub
		}
		assert.Equal(t, stored, p.fullEC, "%v: the header stores only the pairs not required", suite)
		_, ok := twUnwrapAES(p.edks[0], p.fullEC)
		assert.False(t, ok, "the data key is not wrapped under the stored pairs alone")
		dataKey, ok := twUnwrapAES(p.edks[0], whole)
		require.True(t, ok, "the data key is wrapped under the whole context")
		key, _ := twDerive(p.s, dataKey, p.messageID, false)
		tag := msg[len(p.headerBody) : len(p.headerBody)+16]
		aad := append(append([]byte(nil), p.headerBody...), twSerializeEC(only)...)
		_, err = twGCM(key).Open(nil, p.headerIV, tag, aad)
		assert.NoError(t, err, "the header tag covers the body and the serialized required pairs")
		_, err = twGCM(key).Open(nil, p.headerIV, tag, p.headerBody)
		assert.Error(t, err, "the header tag does not cover the body alone")
	}
}
