package kms

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/kumo-go/kumo/internal/opts"
	"github.com/kumo-go/kumo/internal/redact"
)

// KMSMRKKeyring is the Encryption SDK's multi-Region-key-aware KMS keyring
// (the specification's aws-kms-mrk-keyring) for one KMS key. It encrypts
// like [KMSKeyring]; on decrypt it also accepts data keys encrypted under
// any replica of its key: when the key is a multi-Region key
// (arn:…:key/mrk-…), a message encrypted in us-east-1 decrypts with the
// keyring of the us-west-2 replica, through that Region's client. It asks
// KMS about its own key only, so a message cannot make it use another.
//
// On decrypt the configured identifier is matched against the key ARNs a
// message stores, so it should be a key ARN: a key ID or an alias matches
// nothing but itself (the specification's rule), and KMS must answer a
// Decrypt with exactly the configured identifier.
type KMSMRKKeyring struct {
	client KMSAPI
	keyID  string
	grants []string
}

// NewKMSMRKKeyring returns the MRK-aware keyring of keyID (a key ARN, a key
// ID, an alias name or an alias ARN) reached through client, which must be
// a client of keyID's Region.
func NewKMSMRKKeyring(client KMSAPI, keyID string) (*KMSMRKKeyring, error) {
	if client == nil {
		return nil, errors.New("kms: the MRK keyring needs a client")
	}
	if !validKeyIdentifier(keyID) {
		return nil, fmt.Errorf("kms: invalid KMS key identifier %q; give a key ARN, a key ID, an alias name (alias/…) or an alias ARN", keyID)
	}
	return &KMSMRKKeyring{client: client, keyID: keyID}, nil
}

// WithGrantTokens returns a copy of the keyring that sends grant tokens with
// every KMS call.
func (k *KMSMRKKeyring) WithGrantTokens(tokens ...string) *KMSMRKKeyring {
	return &KMSMRKKeyring{client: k.client, keyID: k.keyID, grants: tokens}
}

// OnEncrypt implements [Keyring]: GenerateDataKey when the materials have
// no data key yet, else Encrypt, with the configured key.
func (k *KMSMRKKeyring) OnEncrypt(ctx context.Context, m *EncryptionMaterials) error {
	if m.PlaintextDataKey == nil {
		return kmsGenerate(ctx, k.client, k.grants, k.keyID, m)
	}
	return kmsEncrypt(ctx, k.client, k.grants, k.keyID, m)
}

// OnDecrypt implements [Keyring]: it tries each aws-kms data key whose key
// ARN matches the configured key, in its Region or (for a multi-Region
// key) in any other, calling Decrypt with the configured key.
func (k *KMSMRKKeyring) OnDecrypt(ctx context.Context, m *DecryptionMaterials, edks []EncryptedDataKey) error {
	if m.PlaintextDataKey != nil {
		return nil
	}
	f := newKeyFailures()
	route := func(keyARN string) (string, bool) { return k.keyID, mrkMatchForDecrypt(k.keyID, keyARN) }
	name := func(keyARN string) string {
		if keyARN != k.keyID {
			return k.keyID + " (for " + keyARN + ")"
		}
		return keyARN
	}
	if err := kmsDecrypt(ctx, k.client, k.grants, m, edks, route, name, f); err != nil || m.PlaintextDataKey != nil {
		return err
	}
	if f.empty() {
		f.add(k.keyID, errors.New("no encrypted data key is for it or a replica of it"))
	}
	return f.err("KMS MRK keyring")
}

// KMSMRKDiscoveryKeyring is the Encryption SDK's multi-Region-key-aware
// discovery keyring (the specification's aws-kms-mrk-discovery-keyring):
// it decrypts with whichever KMS key a message names, within the filter,
// through a client of one Region. A data key under a multi-Region key of
// another Region is decrypted with the replica in the client's Region; one
// under a single-Region key only when the key is in the client's Region.
// It cannot encrypt.
type KMSMRKDiscoveryKeyring struct {
	client KMSAPI
	region string
	filter *DiscoveryFilter
	grants []string
}

// NewKMSMRKDiscoveryKeyring returns an MRK-aware discovery keyring that
// calls KMS through client, whose Region is region; a nil filter accepts
// keys of any account. When client is an aws-sdk-go-v2 *kms.Client (it
// has an Options method), its Region must be region.
func NewKMSMRKDiscoveryKeyring(client KMSAPI, region string, filter *DiscoveryFilter) (*KMSMRKDiscoveryKeyring, error) {
	if client == nil {
		return nil, errors.New("kms: the MRK discovery keyring needs a client")
	}
	if region == "" {
		return nil, errors.New("kms: the MRK discovery keyring needs the Region of its client, such as \"us-west-2\"")
	}
	if c, ok := client.(interface{ Options() awskms.Options }); ok {
		if r := c.Options().Region; r != "" && r != region {
			return nil, fmt.Errorf("kms: the MRK discovery keyring was given Region %s, but its client is in %s; they must be the same", region, r)
		}
	}
	if err := filter.check(); err != nil {
		return nil, err
	}
	return &KMSMRKDiscoveryKeyring{client: client, region: region, filter: filter.clone()}, nil
}

// WithGrantTokens returns a copy of the keyring that sends grant tokens with
// every KMS call.
func (k *KMSMRKDiscoveryKeyring) WithGrantTokens(tokens ...string) *KMSMRKDiscoveryKeyring {
	return &KMSMRKDiscoveryKeyring{client: k.client, region: k.region, filter: k.filter, grants: tokens}
}

// OnEncrypt implements [Keyring]: a discovery keyring cannot encrypt.
func (k *KMSMRKDiscoveryKeyring) OnEncrypt(context.Context, *EncryptionMaterials) error {
	return errors.New("kms: a KMS MRK discovery keyring cannot encrypt; name the keys with NewKMSMRKKeyring")
}

// OnDecrypt implements [Keyring].
func (k *KMSMRKDiscoveryKeyring) OnDecrypt(ctx context.Context, m *DecryptionMaterials, edks []EncryptedDataKey) error {
	if m.PlaintextDataKey != nil {
		return nil
	}
	route := func(keyARN string) (string, bool) {
		a, ok := parseKMSARN(keyARN)
		if !ok || !k.filter.allows(keyARN) {
			return "", false
		}
		if !a.isMRK() {
			return keyARN, a.region == k.region
		}
		a.region = k.region
		return a.String(), true
	}
	f := newKeyFailures()
	if err := kmsDecrypt(ctx, k.client, k.grants, m, edks, route, func(a string) string { return a }, f); err != nil || m.PlaintextDataKey != nil {
		return err
	}
	if f.empty() {
		return fmt.Errorf("KMS MRK discovery keyring (%s): no encrypted data key passes the discovery filter and is a multi-Region key or a key of %s", k.region, k.region)
	}
	return f.err("KMS MRK discovery keyring (" + k.region + ")")
}

// ClientSupplier returns a KMS client of a Region, for keyrings that reach
// keys in several Regions. The empty Region asks for the supplier's default
// Region (used for key identifiers that are not ARNs). A ClientSupplier
// must be safe for concurrent use.
type ClientSupplier func(region string) (KMSAPI, error)

// NewClientSupplier returns a ClientSupplier of aws-sdk-go-v2 KMS clients
// made from cfg, one per Region, made on first use and kept; the empty
// Region is cfg.Region. optFns adjust each client's options; nil ones
// are skipped.
func NewClientSupplier(cfg aws.Config, optFns ...func(*awskms.Options)) ClientSupplier {
	var mu sync.Mutex
	clients := map[string]*awskms.Client{}
	return func(region string) (KMSAPI, error) {
		if region == "" {
			region = cfg.Region
		}
		if region == "" {
			return nil, errors.New("kms: no Region to make a KMS client for: the key identifier is not an ARN and the AWS config has no Region")
		}
		mu.Lock()
		defer mu.Unlock()
		c, ok := clients[region]
		if !ok {
			c = awskms.NewFromConfig(cfg, append([]func(*awskms.Options){func(o *awskms.Options) { o.Region = region }}, opts.NonNil(optFns)...)...)
			clients[region] = c
		}
		return c, nil
	}
}

// supply calls s for region, refusing a nil client.
func (s ClientSupplier) supply(region string) (KMSAPI, error) {
	c, err := s(region)
	if err != nil {
		return nil, fmt.Errorf("kms: the client supplier failed for Region %q: %w", region, err)
	}
	if c == nil {
		return nil, fmt.Errorf("kms: the client supplier returned no client for Region %q", region)
	}
	return c, nil
}

// NewKMSMRKMultiKeyring returns the Encryption SDK's strict MRK-aware
// multi-keyring: a [KMSMRKKeyring] for generator (which makes the data key;
// it may be empty when only keyIDs add copies or decrypt) and one for each
// of keyIDs, each with the client that clients supplies for the Region of
// its ARN (the supplier's default Region for identifiers that are not
// ARNs). Two identifiers of one multi-Region key, in the same or other
// Regions, are refused: a keyring could not tell which Region to ask.
func NewKMSMRKMultiKeyring(clients ClientSupplier, generator string, keyIDs ...string) (*MultiKeyring, error) {
	if clients == nil {
		return nil, errors.New("kms: the MRK multi-keyring needs a client supplier (see NewClientSupplier)")
	}
	if generator == "" && len(keyIDs) == 0 {
		return nil, errors.New("kms: the MRK multi-keyring needs a generator or at least one key ID")
	}
	all := keyIDs
	if generator != "" {
		all = append([]string{generator}, keyIDs...)
	}
	if err := mrkAreUnique(all); err != nil {
		return nil, err
	}
	ring := func(id string) (Keyring, error) {
		if !validKeyIdentifier(id) {
			return nil, fmt.Errorf("kms: invalid KMS key identifier %q; give a key ARN, a key ID, an alias name (alias/…) or an alias ARN", id)
		}
		var region string
		if a, ok := parseKMSARN(id); ok {
			region = a.region
		}
		c, err := clients.supply(region)
		if err != nil {
			return nil, err
		}
		return NewKMSMRKKeyring(c, id)
	}
	var gen Keyring
	if generator != "" {
		var err error
		if gen, err = ring(generator); err != nil {
			return nil, err
		}
	}
	children := make([]Keyring, 0, len(keyIDs))
	for _, id := range keyIDs {
		r, err := ring(id)
		if err != nil {
			return nil, err
		}
		children = append(children, r)
	}
	return NewMultiKeyring(gen, children...)
}

// NewKMSMRKDiscoveryMultiKeyring returns the Encryption SDK's MRK-aware
// discovery multi-keyring: a [KMSMRKDiscoveryKeyring] for each of regions,
// in that order, with the client that clients supplies for it, all with
// filter (nil: any account). A message decrypts through the first Region
// that can decrypt one of its data keys.
func NewKMSMRKDiscoveryMultiKeyring(clients ClientSupplier, regions []string, filter *DiscoveryFilter) (*MultiKeyring, error) {
	if clients == nil {
		return nil, errors.New("kms: the MRK discovery multi-keyring needs a client supplier (see NewClientSupplier)")
	}
	if len(regions) == 0 {
		return nil, errors.New("kms: the MRK discovery multi-keyring needs at least one Region")
	}
	children := make([]Keyring, 0, len(regions))
	for i, region := range regions {
		if region == "" {
			return nil, fmt.Errorf("kms: Region %d of the MRK discovery multi-keyring is empty; give Region names such as \"us-west-2\"", i)
		}
		c, err := clients.supply(region)
		if err != nil {
			return nil, err
		}
		r, err := NewKMSMRKDiscoveryKeyring(c, region, filter)
		if err != nil {
			return nil, err
		}
		children = append(children, r)
	}
	return NewMultiKeyring(nil, children...)
}

// String names the KMS key; the client (and its credentials) and grant
// tokens are left out.
func (k KMSMRKKeyring) String() string {
	return redact.Describe("KMSMRKKeyring", "keyID", k.keyID, "grantTokens", len(k.grants))
}

// GoString is String qualified by the package, for %#v.
func (k KMSMRKKeyring) GoString() string { return redact.GoString(k) }

// Format prints String under every verb.
func (k KMSMRKKeyring) Format(f fmt.State, verb rune) { redact.Format(f, verb, k) }

// LogValue logs String.
func (k KMSMRKKeyring) LogValue() slog.Value { return redact.LogValue(k) }

// String gives the Region and the filter; the client (and its credentials)
// and grant tokens are left out.
func (k KMSMRKDiscoveryKeyring) String() string {
	filter := "none"
	if k.filter != nil {
		filter = fmt.Sprintf("%s:%q", k.filter.Partition, k.filter.AccountIDs)
	}
	return redact.Describe("KMSMRKDiscoveryKeyring", "region", k.region, "filter", filter, "grantTokens", len(k.grants))
}

// GoString is String qualified by the package, for %#v.
func (k KMSMRKDiscoveryKeyring) GoString() string { return redact.GoString(k) }

// Format prints String under every verb.
func (k KMSMRKDiscoveryKeyring) Format(f fmt.State, verb rune) { redact.Format(f, verb, k) }

// LogValue logs String.
func (k KMSMRKDiscoveryKeyring) LogValue() slog.Value { return redact.LogValue(k) }
