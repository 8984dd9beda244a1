package kms

import (
	"fmt"
	"slices"
	"strings"
)

// kmsARN is a KMS ARN split as the specification's aws-kms-key-arn does:
// arn:partition:kms:region:account:type/id, where type is "key" or
// "alias" and id may itself hold slashes.
type kmsARN struct {
	partition, region, account, resourceType, resourceID string
}

// parseKMSARN parses a valid AWS KMS ARN: six ':'-separated parts starting
// with "arn", service "kms", non-empty partition, region and account, and a
// resource of type "key" or "alias" with a non-empty ID.
func parseKMSARN(s string) (kmsARN, bool) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "kms" {
		return kmsARN{}, false
	}
	a := kmsARN{partition: parts[1], region: parts[3], account: parts[4]}
	a.resourceType, a.resourceID, _ = strings.Cut(parts[5], "/")
	if a.partition == "" || a.region == "" || a.account == "" || a.resourceID == "" ||
		(a.resourceType != "key" && a.resourceType != "alias") {
		return kmsARN{}, false
	}
	return a, true
}

func (a kmsARN) String() string {
	return "arn:" + a.partition + ":kms:" + a.region + ":" + a.account + ":" + a.resourceType + "/" + a.resourceID
}

// isMRK reports whether the ARN names a multi-Region key: a key (never an
// alias) whose ID starts with "mrk-".
func (a kmsARN) isMRK() bool {
	return a.resourceType == "key" && strings.HasPrefix(a.resourceID, "mrk-")
}

// isKeyARN reports whether s is the ARN of a KMS key (not an alias).
func isKeyARN(s string) bool {
	a, ok := parseKMSARN(s)
	return ok && a.resourceType == "key"
}

// validKeyIdentifier reports whether id is a valid AWS KMS identifier: a
// KMS ARN, an alias name ("alias/…") or a key ID.
func validKeyIdentifier(id string) bool {
	switch {
	case id == "" || strings.TrimSpace(id) != id:
		return false
	case strings.HasPrefix(id, "arn:"):
		_, ok := parseKMSARN(id)
		return ok
	case strings.HasPrefix(id, "alias/"):
		return len(id) > len("alias/")
	default:
		return !strings.ContainsAny(id, ":/")
	}
}

// isMRKIdentifier reports whether a KMS identifier names a multi-Region
// key: an ARN of one, or a bare key ID starting with "mrk-". An alias is
// never one, whatever its name. An invalid ARN is not one either.
func isMRKIdentifier(id string) bool {
	switch {
	case strings.HasPrefix(id, "arn:"):
		a, ok := parseKMSARN(id)
		return ok && a.isMRK()
	case strings.HasPrefix(id, "alias/"):
		return false
	default:
		return strings.HasPrefix(id, "mrk-")
	}
}

// mrkMatchForDecrypt is the specification's aws-kms-mrk-match-for-decrypt:
// identical identifiers match; otherwise both must be multi-Region key
// ARNs that differ in nothing but the Region.
func mrkMatchForDecrypt(configured, stored string) bool {
	if configured == stored {
		return true
	}
	if !isMRKIdentifier(configured) || !isMRKIdentifier(stored) {
		return false
	}
	a, aok := parseKMSARN(configured)
	b, bok := parseKMSARN(stored)
	if !aok || !bok { // a bare mrk- key ID has no parts to compare
		return false
	}
	return a.partition == b.partition && a.account == b.account &&
		a.resourceType == b.resourceType && a.resourceID == b.resourceID
}

// mrkAreUnique is the specification's aws-kms-mrk-are-unique: it fails
// when two identifiers name the same multi-Region key (in the same or in
// other Regions), listing every identifier involved, since a keyring could
// not tell which Region to ask.
func mrkAreUnique(ids []string) error {
	byResource := map[string][]string{}
	var order []string
	for _, id := range ids {
		if !isMRKIdentifier(id) {
			continue
		}
		res := id
		if a, ok := parseKMSARN(id); ok {
			res = a.resourceID
		}
		if byResource[res] == nil {
			order = append(order, res)
		}
		byResource[res] = append(byResource[res], id)
	}
	var dups []string
	for _, res := range order {
		if len(byResource[res]) > 1 {
			dups = append(dups, byResource[res]...)
		}
	}
	if len(dups) > 0 {
		return fmt.Errorf("kms: %s name the same multi-Region key more than once; give each multi-Region key once, in the Region to use", strings.Join(slices.Compact(dups), ", "))
	}
	return nil
}
