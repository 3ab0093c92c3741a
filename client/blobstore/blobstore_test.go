package blobstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/client/blobstore"
)

func openDir(t *testing.T, opts ...blobstore.Option) (*blobstore.Bucket, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "blobs")
	u, err := blobstore.FileURL(dir)
	require.NoError(t, err)
	b, err := blobstore.Open(context.Background(), u, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, b.Close()) })
	return b, dir
}

func blobPath(dir, digest string) string {
	return filepath.Join(dir, "sha256", digest[:2], digest)
}

func TestPutGetRoundTrip(t *testing.T) {
	ctx := context.Background()
	for _, scheme := range []string{"file", "mem"} {
		t.Run(scheme, func(t *testing.T) {
			var b *blobstore.Bucket
			if scheme == "file" {
				b, _ = openDir(t)
			} else {
				var err error
				b, err = blobstore.Open(ctx, "mem://")
				require.NoError(t, err)
				defer b.Close()
			}
			for _, data := range [][]byte{{}, []byte("ciphertext"), bytes.Repeat([]byte{0xAB}, 1<<20)} {
				d, err := b.Put(ctx, data)
				require.NoError(t, err)
				require.Equal(t, blobstore.Digest(data), d)
				ok, err := b.Exists(ctx, d)
				require.NoError(t, err)
				require.True(t, ok)
				got, err := b.Get(ctx, d)
				require.NoError(t, err)
				require.Equal(t, data, got)
				rc, err := b.Open(ctx, d)
				require.NoError(t, err)
				streamed, err := io.ReadAll(rc)
				require.NoError(t, err)
				require.NoError(t, rc.Close())
				require.Equal(t, data, streamed)
			}
		})
	}
}

func TestDigestIsSHA256Hex(t *testing.T) {
	require.Equal(t, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", blobstore.Digest(nil))
}

func TestPutIsIdempotentAndLeavesNoTemporaryFiles(t *testing.T) {
	ctx := context.Background()
	b, dir := openDir(t)
	data := []byte("same bytes")
	d1, err := b.Put(ctx, data)
	require.NoError(t, err)
	d2, err := b.Put(ctx, data)
	require.NoError(t, err)
	require.Equal(t, d1, d2)
	var files []string
	require.NoError(t, filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			files = append(files, rel)
		}
		return err
	}))
	require.Equal(t, []string{filepath.Join("sha256", d1[:2], d1)}, files)
}

func TestPutRepairsACorruptedBlob(t *testing.T) {
	ctx := context.Background()
	b, dir := openDir(t)
	data := []byte("submission")
	d, err := b.Put(ctx, data)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(blobPath(dir, d), []byte("Submission"), 0o644))
	_, err = b.Get(ctx, d)
	require.ErrorIs(t, err, blobstore.ErrCorrupt)
	_, err = b.Put(ctx, data)
	require.NoError(t, err)
	got, err := b.Get(ctx, d)
	require.NoError(t, err)
	require.Equal(t, data, got)
}

func TestReadErrorsNameTheDigest(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		damage func(path string) error
		want   error
	}{
		{"a flipped byte is corruption", func(p string) error {
			raw, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			raw[3] ^= 1
			return os.WriteFile(p, raw, 0o644)
		}, blobstore.ErrCorrupt},
		{"a truncated file is corruption", func(p string) error { return os.Truncate(p, 5) }, blobstore.ErrCorrupt},
		{"an empty file is corruption", func(p string) error { return os.Truncate(p, 0) }, blobstore.ErrCorrupt},
		{"appended bytes are corruption", func(p string) error {
			f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				return err
			}
			_, err = f.WriteString("x")
			return errors.Join(err, f.Close())
		}, blobstore.ErrCorrupt},
		{"a deleted file is not found", os.Remove, blobstore.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, dir := openDir(t)
			d, err := b.Put(ctx, []byte("encrypted cube of hospital A"))
			require.NoError(t, err)
			require.NoError(t, tc.damage(blobPath(dir, d)))

			_, err = b.Get(ctx, d)
			require.ErrorIs(t, err, tc.want)
			require.Contains(t, err.Error(), d)

			rc, err := b.Open(ctx, d)
			if err == nil {
				_, err = io.ReadAll(rc)
				require.NoError(t, rc.Close())
			}
			require.ErrorIs(t, err, tc.want)
			require.Contains(t, err.Error(), d)
		})
	}
}

func TestMissingBlob(t *testing.T) {
	ctx := context.Background()
	b, _ := openDir(t)
	d := blobstore.Digest([]byte("never stored"))
	ok, err := b.Exists(ctx, d)
	require.NoError(t, err)
	require.False(t, ok)
	_, err = b.Get(ctx, d)
	require.ErrorIs(t, err, blobstore.ErrNotFound)
	require.Contains(t, err.Error(), d)
	_, err = b.Open(ctx, d)
	require.ErrorIs(t, err, blobstore.ErrNotFound)
}

func TestBadDigests(t *testing.T) {
	ctx := context.Background()
	b, _ := openDir(t)
	good := blobstore.Digest([]byte("x"))
	tests := []struct {
		name   string
		digest string
	}{
		{"an empty digest", ""},
		{"a short digest", good[:63]},
		{"a long digest", good + "0"},
		{"upper case hex", strings.ToUpper(good)},
		{"a non-hex character", good[:63] + "g"},
		{"a path traversal", "../../../../etc/passwd" + good[:42]},
		{"a slash inside", good[:30] + "/" + good[31:]},
		{"a prefixed algorithm", "sha256:" + good[:57]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.ErrorIs(t, blobstore.ValidDigest(tc.digest), blobstore.ErrInvalidDigest)
			_, err := b.Get(ctx, tc.digest)
			require.ErrorIs(t, err, blobstore.ErrInvalidDigest)
			_, err = b.Open(ctx, tc.digest)
			require.ErrorIs(t, err, blobstore.ErrInvalidDigest)
			_, err = b.Exists(ctx, tc.digest)
			require.ErrorIs(t, err, blobstore.ErrInvalidDigest)
		})
	}
	require.NoError(t, blobstore.ValidDigest(good))
}

func TestSizeLimit(t *testing.T) {
	ctx := context.Background()
	b, dir := openDir(t, blobstore.WithMaxSize(16))
	_, err := b.Put(ctx, make([]byte, 17))
	require.ErrorIs(t, err, blobstore.ErrTooLarge)

	d, err := b.Put(ctx, make([]byte, 16))
	require.NoError(t, err)
	_, err = b.Get(ctx, d)
	require.NoError(t, err)

	// A blob that grew on disk beyond the limit is refused before it is read.
	require.NoError(t, os.WriteFile(blobPath(dir, d), make([]byte, 1000), 0o644))
	_, err = b.Get(ctx, d)
	require.ErrorIs(t, err, blobstore.ErrTooLarge)
	require.Contains(t, err.Error(), d)
	_, err = b.Open(ctx, d)
	require.ErrorIs(t, err, blobstore.ErrTooLarge)
}

func TestConcurrentPuts(t *testing.T) {
	ctx := context.Background()
	b, _ := openDir(t)
	const writers = 16
	same := bytes.Repeat([]byte("shared ciphertext "), 4096)
	var wg sync.WaitGroup
	digests := make([]string, writers)
	errs := make([]error, writers*2)
	for i := range writers {
		wg.Go(func() {
			digests[i], errs[i] = b.Put(ctx, same)
		})
		wg.Go(func() {
			_, errs[writers+i] = b.Put(ctx, []byte(fmt.Sprintf("own blob %d", i)))
		})
	}
	wg.Wait()
	require.NoError(t, errors.Join(errs...))
	for _, d := range digests {
		require.Equal(t, blobstore.Digest(same), d)
	}
	got, err := b.Get(ctx, digests[0])
	require.NoError(t, err)
	require.Equal(t, same, got)
	for i := range writers {
		data := []byte(fmt.Sprintf("own blob %d", i))
		got, err := b.Get(ctx, blobstore.Digest(data))
		require.NoError(t, err)
		require.Equal(t, data, got)
	}
}

func TestOpenRejectsUnregisteredSchemes(t *testing.T) {
	_, err := blobstore.Open(context.Background(), "s3://bucket?region=eu-west-1")
	require.Error(t, err)
	require.Contains(t, err.Error(), "s3://bucket")
}

func TestOpenKeepsExplicitFileOptions(t *testing.T) {
	dir := t.TempDir()
	u, err := blobstore.FileURL(dir)
	require.NoError(t, err)
	b, err := blobstore.Open(context.Background(), u+"?metadata=")
	require.NoError(t, err)
	defer b.Close()
	d, err := b.Put(context.Background(), []byte("with sidecar"))
	require.NoError(t, err)
	_, err = os.Stat(blobPath(dir, d) + ".attrs")
	require.NoError(t, err)
}

func TestURINamesTheBlobInsideTheStoreWithoutSecrets(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	url, err := blobstore.FileURL(dir)
	require.NoError(t, err)
	b, err := blobstore.Open(ctx, url+"?create_dir=true")
	require.NoError(t, err)
	defer b.Close()
	d, err := b.Put(ctx, []byte("cube"))
	require.NoError(t, err)
	require.Equal(t, url+"/sha256/"+d[:2]+"/"+d, b.URI(d))
}
