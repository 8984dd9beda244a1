// Package interop checks kumo against independent implementations: the AWS
// CLI, botocore, the official Encryption SDKs and real servers. It is a module
// of its own so that their dependencies never reach kumo users' go.sum.
//
// The tests need, beside Go: moto_server 5.2.1 (pip install
// 'moto[server]==5.2.1'), the AWS CLI and python3 with boto3, openssl,
// versitygw v1.8.0 (go install
// github.com/versity/versitygw/cmd/versitygw@v1.8.0), chromium, and Node.js
// with the packages pinned in node/package-lock.json (npm ci in node/). The
// official Encryption SDK decrypt vectors are read from $KUMO_ESDK_VECTORS
// (see esdk_vectors_test.go). Each test skips when its tool is missing,
// except under CI=true, where it fails. `make interop` runs them.
package interop
