package interop

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/s3sign"
)

// TestPostFormInChromium serves PostForm(...).HTML() on localhost and has
// headless Chromium pick a file and submit it to versitygw, which enforces
// the policy.
func TestPostFormInChromium(t *testing.T) {
	chromium := need(t, "chromium")
	ctx := context.Background()
	client, _ := versity(t)
	_, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("kumo-bucket")})
	require.NoError(t, err)
	signer, err := s3sign.NewFromClient(client)
	require.NoError(t, err)
	form, err := signer.PostForm(ctx, "kumo-bucket", s3sign.PostPolicy{
		KeyPrefix: "uploads/", MaxSize: 1024, ContentType: "text/plain", SuccessActionStatus: 201,
	})
	require.NoError(t, err)
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(form.HTML()))
	}))
	defer page.Close()

	dir := t.TempDir()
	small := filepath.Join(dir, "report.txt")
	require.NoError(t, os.WriteFile(small, []byte("hello from chromium\n"), 0o600))
	large := filepath.Join(dir, "large.txt")
	require.NoError(t, os.WriteFile(large, make([]byte, 2048), 0o600))

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true), chromedp.UserDataDir(t.TempDir()))
	actx, cancel := chromedp.NewExecAllocator(ctx, opts...)
	defer cancel()
	bctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	bctx, cancel = context.WithTimeout(bctx, 90*time.Second)
	defer cancel()

	// submit loads the form, sets the key field (versitygw does not
	// substitute ${filename}, so the page does, as a script would), picks
	// the file, submits, and returns the text S3 answered with.
	submit := func(key, file string) string {
		require.NoError(t, chromedp.Do(bctx,
			chromedp.Navigate(page.URL),
			chromedp.WaitVisible("#go"),
			chromedp.SetUploadFiles("#file", []string{file}),
		))
		_, err := chromedp.Run(bctx, chromedp.Evaluate[any](`document.querySelector('input[name="key"]').value = `+jsString(key)))
		require.NoError(t, err)
		require.NoError(t, chromedp.Do(bctx, chromedp.Click("#go")))
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			loc, err := chromedp.Run(bctx, chromedp.Location())
			if err == nil && !strings.HasPrefix(loc, page.URL) {
				text, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.documentElement.outerHTML`))
				if err == nil {
					return text
				}
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatal("the form did not submit")
		return ""
	}
	head := func(key string) (*s3.HeadObjectOutput, error) {
		return client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("kumo-bucket"), Key: aws.String(key)})
	}

	answer := submit("uploads/report.txt", small)
	out, err := head("uploads/report.txt")
	require.NoError(t, err, "S3 answered: %s", answer)
	assert.Equal(t, "text/plain", aws.ToString(out.ContentType))
	assert.Equal(t, int64(20), aws.ToInt64(out.ContentLength))

	answer = submit("uploads/large.txt", large)
	_, err = head("uploads/large.txt")
	assert.Error(t, err, "a file over the size limit is refused (S3 answered: %s)", answer)

	answer = submit("elsewhere/report.txt", small)
	_, err = head("elsewhere/report.txt")
	assert.Error(t, err, "a key outside the prefix is refused (S3 answered: %s)", answer)
}

func jsString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
