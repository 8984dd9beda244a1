package kmstest

import (
	"crypto/aes"
	"crypto/cipher"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/kms/types"
)

// newKeyID draws a key ID in KMS's form (a UUID).
func (f *Fake) newKeyID() string {
	b := make([]byte, 16)
	f.mustRead(b)
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// addSymmetricKey adds an enabled symmetric key with ID id and the given
// 32-byte material (nil: fresh), and returns its ARN.
func (f *Fake) addSymmetricKey(id string, material []byte) string {
	k := f.newSymmetricKey(id, material)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys[id] = k
	return k.arn
}

func (f *Fake) newSymmetricKey(id string, material []byte) *key {
	if material == nil {
		material = make([]byte, 32)
		f.mustRead(material)
	}
	block, _ := aes.NewCipher(material)
	aead, _ := cipher.NewGCM(block)
	return &key{id: id, arn: f.arn("key/" + id), state: types.KeyStateEnabled, aead: aead, material: material, created: f.opts.Clock()}
}

// CreateMultiRegionKey adds an enabled symmetric multi-Region primary key,
// with an ID of the form mrk-<32 hex digits>, and returns its ARN. Copy it
// to Fakes of other Regions with [Fake.AddReplica] (or use [Regions]).
func (f *Fake) CreateMultiRegionKey() string {
	b := make([]byte, 16)
	f.mustRead(b)
	return f.addSymmetricKey(fmt.Sprintf("mrk-%x", b), nil)
}

// AddReplica makes replica hold a replica of the multi-Region key keyID
// (an ID, ARN or alias of f): the same key ID and key material in
// replica's Region, so that what one encrypts the other decrypts, as KMS's
// ReplicateKey does. The replica starts enabled and has its own key state
// from then on. It returns the replica's key ARN.
//
// replica must be a Fake of the same account in another Region; a key that
// is not multi-Region, or a Region that already holds the key, is refused
// with ValidationException or AlreadyExistsException.
func (f *Fake) AddReplica(keyID string, replica *Fake) (string, error) {
	if replica == nil {
		return "", apiError("ValidationException", "ReplicaRegion is required")
	}
	f.mu.Lock()
	k, err := f.lookup(keyID)
	f.mu.Unlock()
	if err != nil {
		return "", err
	}
	switch {
	case k.aead == nil || len(k.id) < 4 || k.id[:4] != "mrk-":
		return "", apiError("UnsupportedOperationException", k.arn+" is not a multi-Region key")
	case replica.opts.AccountID != f.opts.AccountID:
		return "", apiError("ValidationException", fmt.Sprintf("the replica Fake is of account %s; a multi-Region key replicates within its account %s", replica.opts.AccountID, f.opts.AccountID))
	case replica.opts.Region == f.opts.Region:
		return "", apiError("ValidationException", fmt.Sprintf("ReplicaRegion %s is the Region of the key; give another Region", f.opts.Region))
	}
	r := replica.newSymmetricKey(k.id, k.material)
	replica.mu.Lock()
	defer replica.mu.Unlock()
	if _, exists := replica.keys[k.id]; exists {
		return "", apiError("AlreadyExistsException", fmt.Sprintf("%s already has a replica in %s", k.arn, replica.opts.Region))
	}
	replica.keys[k.id] = r
	return r.arn, nil
}

// Region returns the Region of the fake's key ARNs.
func (f *Fake) Region() string { return f.opts.Region }

// Regions is one account's KMS in several Regions: a [Fake] per Region,
// made on first use with the same options but its own Region, between
// which multi-Region keys replicate. It is for testing code that fails over
// between Regions. It is safe for concurrent use.
//
//	regions := kmstest.NewRegions()
//	arns, _ := regions.CreateMultiRegionKey("us-east-1", "us-west-2")
//	east, _ := kms.NewKMSMRKKeyring(regions.Fake("us-east-1"), arns[0])
//	west, _ := kms.NewKMSMRKKeyring(regions.Fake("us-west-2"), arns[1])
type Regions struct {
	optFns []func(*Options)

	mu    sync.Mutex
	fakes map[string]*Fake
}

// NewRegions returns an empty set of Regions; optFns configure each Fake
// (Options.Region is set to the Fake's Region after them). Each Region's
// Fake has its own recorder: inject failures, set hooks and read call
// counts on regions.Fake(region).
func NewRegions(optFns ...func(*Options)) *Regions {
	return &Regions{optFns: optFns, fakes: map[string]*Fake{}}
}

// Fake returns the Fake of region, making it on first use.
func (r *Regions) Fake(region string) *Fake {
	return r.fakeWithin(region, -1)
}

// fakeWithin is Fake that makes no new Fake once limit exist (no limit when
// negative), returning nil instead.
func (r *Regions) fakeWithin(region string, limit int) *Fake {
	r.mu.Lock()
	defer r.mu.Unlock()
	f, ok := r.fakes[region]
	if !ok {
		if limit >= 0 && len(r.fakes) >= limit {
			return nil
		}
		f = New(append(append([]func(*Options){}, r.optFns...), func(o *Options) { o.Region = region })...)
		r.fakes[region] = f
	}
	return f
}

// CreateMultiRegionKey creates a multi-Region key in primary and replicates
// it to each of replicas. It returns the key ARNs: the primary's first, then
// the replicas' in order.
func (r *Regions) CreateMultiRegionKey(primary string, replicas ...string) ([]string, error) {
	if primary == "" {
		return nil, apiError("ValidationException", "a Region name is required")
	}
	p := r.Fake(primary)
	arns := []string{p.CreateMultiRegionKey()}
	for _, region := range replicas {
		if region == "" {
			return nil, apiError("ValidationException", "a Region name is required")
		}
		a, err := p.AddReplica(arns[0], r.Fake(region))
		if err != nil {
			return nil, err
		}
		arns = append(arns, a)
	}
	return arns, nil
}
