// Package interop checks kumo against independent implementations: the AWS
// CLI, botocore, the official Encryption SDKs and real servers. It is a module
// of its own so that their dependencies never reach kumo users' go.sum.
//
// The tests need the tools named in GUIDE section 8; each skips when its tool
// is missing, except under CI=true, where it fails. `make interop` runs them.
package interop
