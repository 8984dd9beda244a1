package kms

import "context"

// Cache is filled in later in this file.
type Cache struct{}

func (c *Cache) encryptionMaterials(ctx context.Context, cl *Client, ec map[string]string, size int64) (*encMaterials, error) {
	return cl.newEncryptionMaterials(ctx, ec)
}

func (c *Cache) decryptionKey(ctx context.Context, cl *Client, h *Header, ec map[string]string) ([]byte, error) {
	return cl.newDecryptionKey(ctx, h, ec)
}
