package kms

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The identifiers below are the specification's own examples
// (framework/aws-kms/aws-kms-key-arn.md), plus variations of one part each.
const (
	specKeyARN   = "arn:aws:kms:us-east-1:2222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	specMRKARN   = "arn:aws:kms:us-east-1:2222222222222:key/mrk-4321abcd12ab34cd56ef1234567890ab"
	specAliasARN = "arn:aws:kms:us-west-2:111122223333:alias/test-key"
	specKeyID    = "1234abcd-12ab-34cd-56ef-1234567890ab"
	specMRKID    = "mrk-4321abcd12ab34cd56ef1234567890ab"
	specAlias    = "alias/test-key"
	specMRKWest  = "arn:aws:kms:us-west-2:2222222222222:key/mrk-4321abcd12ab34cd56ef1234567890ab"
)

// TestParseKMSARN follows "A valid AWS KMS ARN": six parts, "arn", a
// partition, "kms", a Region, an account, and a resource of type key or
// alias whose ID (after the first '/') is not empty.
func TestParseKMSARN(t *testing.T) {
	for _, tt := range []struct {
		in   string
		ok   bool
		want kmsARN
	}{
		{specKeyARN, true, kmsARN{"aws", "us-east-1", "2222222222222", "key", specKeyID}},
		{specMRKARN, true, kmsARN{"aws", "us-east-1", "2222222222222", "key", specMRKID}},
		{specAliasARN, true, kmsARN{"aws", "us-west-2", "111122223333", "alias", "test-key"}},
		{"arn:aws-cn:kms:cn-north-1:1:key/a/b/c", true, kmsARN{"aws-cn", "cn-north-1", "1", "key", "a/b/c"}}, // extra '/' stay in the ID
		{"arm:aws:kms:us-east-1:1:key/a", false, kmsARN{}},                                                   // must start with arn
		{"arn::kms:us-east-1:1:key/a", false, kmsARN{}},                                                      // empty partition
		{"arn:aws:sqs:us-east-1:1:key/a", false, kmsARN{}},                                                   // service must be kms
		{"arn:aws:kms::1:key/a", false, kmsARN{}},                                                            // empty Region
		{"arn:aws:kms:us-east-1::key/a", false, kmsARN{}},                                                    // empty account
		{"arn:aws:kms:us-east-1:1:", false, kmsARN{}},                                                        // empty resource
		{"arn:aws:kms:us-east-1:1:key", false, kmsARN{}},                                                     // no '/'
		{"arn:aws:kms:us-east-1:1:key/", false, kmsARN{}},                                                    // empty resource ID
		{"arn:aws:kms:us-east-1:1:keys/a", false, kmsARN{}},                                                  // type key or alias only
		{"arn:aws:kms:us-east-1:key/a", false, kmsARN{}},                                                     // five parts
		{specKeyID, false, kmsARN{}}, {specAlias, false, kmsARN{}},                                           // identifiers, not ARNs
	} {
		got, ok := parseKMSARN(tt.in)
		assert.Equal(t, tt.ok, ok, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
		if ok {
			assert.Equal(t, tt.in, got.String(), "an ARN prints as it was read")
		}
	}
}

// TestIsMRKIdentifier follows "Identifying an AWS KMS multi-Region
// identifier": ARNs by their resource, aliases never (even alias/mrk-…),
// bare IDs by the mrk- prefix.
func TestIsMRKIdentifier(t *testing.T) {
	for in, want := range map[string]bool{
		specKeyARN:   false,
		specMRKARN:   true,
		specAliasARN: false,
		"arn:aws:kms:us-west-2:111122223333:alias/mrk-looks-like-one": false,
		specKeyID:                          false,
		specMRKID:                          true,
		specAlias:                          false,
		"alias/mrk-a":                      false,
		"arn:aws:kms:us-east-1::key/mrk-a": false, // an invalid ARN is no MRK (the spec: an error)
	} {
		assert.Equal(t, want, isMRKIdentifier(in), in)
	}
}

// TestMRKMatchForDecrypt follows aws-kms-mrk-match-for-decrypt: identical
// identifiers match; else both must be multi-Region key ARNs equal in
// partition, service, account, resource type and ID — the Region alone
// may differ.
func TestMRKMatchForDecrypt(t *testing.T) {
	for _, tt := range []struct {
		name       string
		configured string
		stored     string
		want       bool
	}{
		{"identical key ARNs", specKeyARN, specKeyARN, true},
		{"identical MRK ARNs", specMRKARN, specMRKARN, true},
		{"identical aliases", specAlias, specAlias, true},
		{"identical bare MRK IDs", specMRKID, specMRKID, true},
		{"MRK replica in another Region", specMRKARN, specMRKWest, true},
		{"MRK replica, the other way", specMRKWest, specMRKARN, true},
		{"single-Region key, same ID, other Region", specKeyARN, "arn:aws:kms:us-west-2:2222222222222:key/" + specKeyID, false},
		{"MRK of another account", specMRKARN, "arn:aws:kms:us-west-2:3333333333333:key/" + specMRKID, false},
		{"MRK of another partition", specMRKARN, "arn:aws-cn:kms:us-west-2:2222222222222:key/" + specMRKID, false},
		{"another MRK", specMRKARN, "arn:aws:kms:us-west-2:2222222222222:key/mrk-0000", false},
		{"MRK against single-Region key", specMRKARN, specKeyARN, false},
		{"bare MRK ID against its ARN", specMRKID, specMRKARN, false},
		{"alias ARNs named mrk- in two Regions", "arn:aws:kms:us-east-1:1:alias/mrk-a", "arn:aws:kms:us-west-2:1:alias/mrk-a", false},
		{"key ID against its ARN", specKeyID, specKeyARN, false},
		{"alias against a key ARN", specAlias, specKeyARN, false},
	} {
		assert.Equal(t, tt.want, mrkMatchForDecrypt(tt.configured, tt.stored), tt.name)
	}
}

// TestMRKAreUnique follows aws-kms-mrk-are-unique: no multi-Region keys, or
// distinct ones, pass; duplicates fail, naming every identifier involved.
func TestMRKAreUnique(t *testing.T) {
	require.NoError(t, mrkAreUnique(nil))
	require.NoError(t, mrkAreUnique([]string{specKeyARN, specKeyARN, specAlias, specAliasARN}), "single-Region keys are not checked")
	require.NoError(t, mrkAreUnique([]string{specMRKARN, "arn:aws:kms:us-west-2:2222222222222:key/mrk-other", specKeyARN}))
	for _, tt := range []struct {
		ids  []string
		want string
	}{
		{[]string{specMRKARN, specMRKWest}, "kms: " + specMRKARN + ", " + specMRKWest + " name the same multi-Region key more than once; give each multi-Region key once, in the Region to use"},
		{[]string{specKeyARN, specMRKID, specMRKARN, "arn:aws:kms:eu-west-1:1:key/mrk-x", "mrk-x"}, "kms: " + specMRKID + ", " + specMRKARN + ", arn:aws:kms:eu-west-1:1:key/mrk-x, mrk-x name the same multi-Region key more than once; give each multi-Region key once, in the Region to use"},
	} {
		assert.EqualError(t, mrkAreUnique(tt.ids), tt.want)
	}
}

func TestValidKeyIdentifier(t *testing.T) {
	for in, want := range map[string]bool{
		specKeyARN: true, specMRKARN: true, specAliasARN: true, specKeyID: true, specMRKID: true, specAlias: true,
		"": false, " " + specKeyID: false, "alias/": false, "arn:aws:kms:us-east-1:1:key/": false, "a:b": false, "key/x": false,
	} {
		assert.Equal(t, want, validKeyIdentifier(in), "%q", in)
	}
}

// FuzzKMSARN feeds arbitrary provider info (outside input: it comes from
// the message) to the ARN parser and the matching rule.
func FuzzKMSARN(f *testing.F) {
	for _, s := range []string{specKeyARN, specMRKARN, specAliasARN, specKeyID, specMRKID, specAlias, specMRKWest,
		"arn:aws:kms:us-east-1:1:key/a/b", "arn:::::", "arn:aws:kms:us-east-1:1:key/mrk-"} {
		f.Add(s, specMRKARN)
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if p, ok := parseKMSARN(a); ok {
			if p.String() != a {
				t.Fatalf("%q parses but prints as %q", a, p.String())
			}
			if p.partition == "" || p.region == "" || p.account == "" || p.resourceID == "" {
				t.Fatalf("%q parses with an empty part: %+v", a, p)
			}
		}
		if mrkMatchForDecrypt(a, b) != mrkMatchForDecrypt(b, a) {
			t.Fatalf("the match of %q and %q is not symmetric", a, b)
		}
		if mrkMatchForDecrypt(a, b) && a != b && (!isMRKIdentifier(a) || !isMRKIdentifier(b)) {
			t.Fatalf("%q and %q match without being one multi-Region key", a, b)
		}
	})
}
