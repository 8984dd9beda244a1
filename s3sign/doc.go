// Package s3sign makes S3 presigned URLs and POST forms that fail early, for
// the developer, instead of later, for the user:
//
//	cfg, err := config.LoadDefaultConfig(ctx)
//	if err != nil {
//		return err
//	}
//	signer, err := s3sign.NewFromClient(s3.NewFromConfig(cfg))
//	if err != nil {
//		return err
//	}
//	req, err := signer.PutURL(ctx, "uploads", "avatars/42.png", func(o *s3sign.PutOptions) {
//		o.ContentType = "image/png"
//		o.Expires = 10 * time.Minute // zero: Options.Expires, 15 minutes unless set
//	})
//	if err != nil {
//		return err // ErrInvalidInput or ErrExpiresAfterCredentials, with the reason
//	}
//	fmt.Println(req.Method, req.URL, req.Header) // the browser sends all three as they are
//
// [NewFromClient] builds a [Signer] from an *s3.Client in one call; [New]
// takes the narrow [PresignAPI] and a credentials provider instead (a fake
// in tests). GetURL, PutURL, HeadURL, DeleteURL and CreateUpload take
// option funcs, PostForm the [PostPolicy] it signs; in both, and in
// [Options], a zero value means the default. A nil option func is skipped.
//
// It wraps aws-sdk-go-v2's presign client and adds what it leaves to you:
//
//   - a URL signed with temporary credentials dies with them, whatever its
//     X-Amz-Expires says: Options.OnCredentialExpiry makes that an error
//     (RefuseBeyondCredentials, the default: ErrExpiresAfterCredentials)
//     or shortens the URL (ClampToCredentials);
//
//   - expiries below zero, over SigV4's 7 days or not a whole number of
//     seconds (all X-Amz-Expires can say), empty or invalid bucket names and
//     keys over 1024 bytes are refused with the reason; Request.Expires is
//     exactly when the URL stops working;
//
//   - SSE-C (PutOptions.SSECustomerKey, GetOptions.SSECustomerKey: the
//     algorithm, key and key-MD5 headers computed and signed; the key is
//     redacted whenever an option or Request is printed), ExpectedBucketOwner,
//     RequestPayer, canned ACLs, and the MD5, SHA-256, SHA-1, CRC32, CRC32C
//     and CRC64NVME checksums;
//
//   - an S3 access point ARN works as the bucket
//     (arn:aws:s3:REGION:ACCOUNT:accesspoint/NAME): the URL goes to the
//     access point's endpoint, signed for its region;
//
//   - every header that was signed, and so must be sent, is returned in
//     Request.Header;
//
//   - POST forms carry a field for each condition the policy sets.
//
// [Inspect] reads a presigned URL back: who signed it, for which region,
// which headers, until when, and whether that has passed.
package s3sign
