// Package blobstore is statledger's content-addressed blob store: ciphertexts, key-ceremony
// transcripts and results are stored under the lowercase hex SHA-256 digest of their bytes,
// and every read checks the bytes against that digest. The ledger keeps only digests.
//
// A Bucket is opened from a URL through gocloud.dev/blob, so the same code serves a local
// directory (file:///var/lib/statledger/blobs, the default) and, in production,
// S3-compatible object storage (s3://bucket?region=...&endpoint=...) once the program
// imports package github.com/statledger/statledger/client/blobstore/s3 for its side
// effect. The in-memory scheme mem:// is registered too, for tests.
//
// Blobs are stored under the key "sha256/<first two hex digits>/<digest>". Uploads are
// atomic: a blob appears whole or not at all (the file driver writes a temporary file next
// to the final one and renames it; S3 objects appear when the upload completes). Putting
// the same bytes twice, also concurrently, is harmless and yields the same digest.
package blobstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/url"
	"path/filepath"
	"strings"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/fileblob" // registers file://
	_ "gocloud.dev/blob/memblob"  // registers mem://
	"gocloud.dev/gcerrors"
)

// Sentinel errors. Errors returned by this package wrap one of them where it applies, and
// name the digest concerned.
var (
	// ErrNotFound means no blob is stored under the digest.
	ErrNotFound = errors.New("blob not found")
	// ErrCorrupt means the stored bytes do not hash to the digest they are stored under.
	ErrCorrupt = errors.New("blob corrupt: content does not match its digest")
	// ErrTooLarge means a blob is larger than the bucket's size limit.
	ErrTooLarge = errors.New("blob larger than the size limit")
	// ErrInvalidDigest means a digest is not 64 lowercase hexadecimal characters.
	ErrInvalidDigest = errors.New("invalid digest: want 64 lowercase hex characters")
)

// DefaultMaxSize is the default largest blob, in bytes, that Get, Open and Put accept.
const DefaultMaxSize = 4 << 30

// DefaultURL is the blob store URL used when none is configured: a local directory.
const DefaultURL = "file:///var/lib/statledger/blobs"

// Store is the blob store as its consumers see it. *Bucket implements it.
type Store interface {
	// Put stores data and returns its digest.
	Put(ctx context.Context, data []byte) (string, error)
	// Get returns the bytes stored under digest after checking them against it.
	Get(ctx context.Context, digest string) ([]byte, error)
	// Exists reports whether a blob is stored under digest, without reading it.
	Exists(ctx context.Context, digest string) (bool, error)
}

var _ Store = (*Bucket)(nil)

// Bucket is a content-addressed blob store over a gocloud.dev/blob bucket. It is safe for
// concurrent use by multiple goroutines.
type Bucket struct {
	b       *blob.Bucket
	maxSize int64
	base    string // the store's URL without credentials or query, for URI
}

// Option configures a Bucket.
type Option func(*Bucket)

// WithMaxSize sets the largest blob, in bytes, that the bucket reads or writes
// (DefaultMaxSize by default). Values below 1 are ignored.
func WithMaxSize(n int64) Option {
	return func(b *Bucket) {
		if n > 0 {
			b.maxSize = n
		}
	}
}

// Open opens the blob store at urlstr. For file:// URLs it creates the directory if needed,
// keeps temporary files inside it (so the final rename is atomic and never crosses file
// systems) and writes no metadata side files, unless the URL's query says otherwise. A
// URL whose scheme is not registered (s3:// without importing package blobstore/s3) gives
// an error. The caller must Close the bucket.
func Open(ctx context.Context, urlstr string, opts ...Option) (*Bucket, error) {
	u, err := url.Parse(urlstr)
	if err != nil {
		return nil, fmt.Errorf("open blob store: parse URL: %w", err)
	}
	if u.Scheme == "file" {
		q := u.Query()
		for k, v := range map[string]string{"create_dir": "true", "no_tmp_dir": "true", "metadata": "skip"} {
			if _, ok := q[k]; !ok {
				q.Set(k, v)
			}
		}
		u.RawQuery = q.Encode()
	}
	b, err := blob.OpenBucket(ctx, u.String())
	if err != nil {
		return nil, fmt.Errorf("open blob store %s: %w", redact(u), err)
	}
	bk := New(b, opts...)
	bk.base = strings.TrimSuffix(redact(u), "/")
	return bk, nil
}

// URI is where the blob with digest lives in this store, as recorded on the ledger next
// to the digest: the store's URL (without credentials or query) followed by the blob's
// key, such as file:///srv/blobs/sha256/ab/ab12.... A bucket made with New, which has no
// URL, names blobs blob:sha256/ab/ab12....
func (b *Bucket) URI(digest string) string {
	if b.base == "" {
		return "blob:" + key(digest)
	}
	return b.base + "/" + key(digest)
}

// New wraps an open gocloud.dev/blob bucket. The Bucket takes ownership: closing it closes b.
func New(b *blob.Bucket, opts ...Option) *Bucket {
	bk := &Bucket{b: b, maxSize: DefaultMaxSize}
	for _, o := range opts {
		o(bk)
	}
	return bk
}

// FileURL returns the file:// URL of the local directory dir, made absolute.
func FileURL(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("blob store directory %s: %w", dir, err)
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String(), nil
}

// Close releases the bucket's resources.
func (b *Bucket) Close() error {
	if err := b.b.Close(); err != nil {
		return fmt.Errorf("close blob store: %w", err)
	}
	return nil
}

// Digest returns the lowercase hex SHA-256 digest of data, the key Put stores it under.
func Digest(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// ParseDigest returns the 32 bytes of a digest as ValidDigest accepts it, the form the
// cryptography's decoders check blobs against. Errors wrap ErrInvalidDigest.
func ParseDigest(digest string) ([32]byte, error) {
	var d [32]byte
	if err := ValidDigest(digest); err != nil {
		return d, err
	}
	_, err := hex.Decode(d[:], []byte(digest))
	return d, err
}

// ValidDigest returns nil if digest is 64 lowercase hexadecimal characters, and an error
// wrapping ErrInvalidDigest otherwise.
func ValidDigest(digest string) error {
	if len(digest) != sha256.Size*2 {
		return fmt.Errorf("digest %q: %w", clip(digest), ErrInvalidDigest)
	}
	for i := 0; i < len(digest); i++ {
		c := digest[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return fmt.Errorf("digest %q: %w", clip(digest), ErrInvalidDigest)
		}
	}
	return nil
}

// key is the bucket key of a valid digest.
func key(digest string) string {
	return "sha256/" + digest[:2] + "/" + digest
}

// Put stores data under its digest and returns the digest. Storing bytes already present
// rewrites them atomically with identical content, which also repairs a corrupted copy. It
// returns an error wrapping ErrTooLarge for data over the size limit.
func (b *Bucket) Put(ctx context.Context, data []byte) (string, error) {
	d := Digest(data)
	if int64(len(data)) > b.maxSize {
		return "", fmt.Errorf("put blob %s (%d bytes): %w (%d bytes)", d, len(data), ErrTooLarge, b.maxSize)
	}
	opts := &blob.WriterOptions{ContentType: "application/octet-stream", DisableContentTypeDetection: true}
	if err := b.b.WriteAll(ctx, key(d), data, opts); err != nil {
		return "", fmt.Errorf("put blob %s: %w", d, err)
	}
	return d, nil
}

// Exists reports whether a blob is stored under digest. It does not check the content. It
// returns an error wrapping ErrInvalidDigest for a malformed digest.
func (b *Bucket) Exists(ctx context.Context, digest string) (bool, error) {
	if err := ValidDigest(digest); err != nil {
		return false, err
	}
	ok, err := b.b.Exists(ctx, key(digest))
	if err != nil {
		return false, fmt.Errorf("check blob %s: %w", digest, err)
	}
	return ok, nil
}

// Get returns the blob stored under digest after checking that its bytes hash to digest.
// Its errors wrap ErrInvalidDigest, ErrNotFound, ErrTooLarge or ErrCorrupt where they apply.
func (b *Bucket) Get(ctx context.Context, digest string) ([]byte, error) {
	rc, size, err := b.open(ctx, digest)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	buf := make([]byte, 0, size)
	// Read one byte past the announced size so a blob that grew while open is caught.
	data, err := readAllInto(buf, io.LimitReader(rc, b.maxSize+1))
	if err != nil {
		return nil, fmt.Errorf("get blob %s: %w", digest, err)
	}
	if int64(len(data)) > b.maxSize {
		return nil, fmt.Errorf("get blob %s: %w (%d bytes)", digest, ErrTooLarge, b.maxSize)
	}
	if Digest(data) != digest {
		return nil, fmt.Errorf("get blob %s: %w", digest, ErrCorrupt)
	}
	return data, nil
}

// Open returns a reader of the blob stored under digest, for blobs too large to hold in
// memory. The reader hashes what it yields; at the end of the blob it returns io.EOF only
// if the bytes match digest, and an error wrapping ErrCorrupt otherwise, so callers must
// read to io.EOF before trusting any of the bytes. The reader is not safe for concurrent
// use; the caller must close it. Open's errors are those of Get.
func (b *Bucket) Open(ctx context.Context, digest string) (io.ReadCloser, error) {
	rc, _, err := b.open(ctx, digest)
	if err != nil {
		return nil, err
	}
	return &verifyingReader{rc: rc, h: sha256.New(), digest: digest, left: b.maxSize}, nil
}

// open validates digest and opens its blob, enforcing the size limit on the announced size.
func (b *Bucket) open(ctx context.Context, digest string) (io.ReadCloser, int64, error) {
	if err := ValidDigest(digest); err != nil {
		return nil, 0, err
	}
	r, err := b.b.NewReader(ctx, key(digest), nil)
	if err != nil {
		if gcerrors.Code(err) == gcerrors.NotFound {
			return nil, 0, fmt.Errorf("get blob %s: %w", digest, ErrNotFound)
		}
		return nil, 0, fmt.Errorf("get blob %s: %w", digest, err)
	}
	size := r.Size()
	if size > b.maxSize {
		_ = r.Close()
		return nil, 0, fmt.Errorf("get blob %s (%d bytes): %w (%d bytes)", digest, size, ErrTooLarge, b.maxSize)
	}
	if size < 0 {
		size = 0
	}
	return r, size, nil
}

// verifyingReader hashes a blob as it is read and checks the digest at the end.
type verifyingReader struct {
	rc     io.ReadCloser
	h      hash.Hash
	digest string
	left   int64 // bytes still allowed by the size limit
	err    error // sticky final error
}

func (v *verifyingReader) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	if int64(len(p)) > v.left+1 {
		p = p[:v.left+1]
	}
	n, err := v.rc.Read(p)
	v.h.Write(p[:n])
	v.left -= int64(n)
	if v.left < 0 {
		v.err = fmt.Errorf("read blob %s: %w", v.digest, ErrTooLarge)
		return 0, v.err
	}
	switch {
	case err == io.EOF:
		if hex.EncodeToString(v.h.Sum(nil)) != v.digest {
			v.err = fmt.Errorf("read blob %s: %w", v.digest, ErrCorrupt)
			return 0, v.err
		}
		v.err = io.EOF
	case err != nil:
		v.err = fmt.Errorf("read blob %s: %w", v.digest, err)
		return n, v.err
	}
	return n, v.err
}

func (v *verifyingReader) Close() error {
	if err := v.rc.Close(); err != nil {
		return fmt.Errorf("close blob %s: %w", v.digest, err)
	}
	return nil
}

// readAllInto reads r to EOF, appending to buf.
func readAllInto(buf []byte, r io.Reader) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// redact drops credentials and the query from a URL before it goes into an error.
func redact(u *url.URL) string {
	c := *u
	c.User = nil
	c.RawQuery = ""
	return c.String()
}

// clip shortens an untrusted string before it goes into an error message.
func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
