package s3_test

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/client/blobstore"
	_ "github.com/statledger/statledger/client/blobstore/s3"
)

// fakeS3 is the least of an S3 service that the blob store uses, path-style: PUT, GET and
// HEAD of objects in one bucket.
type fakeS3 struct {
	mu      sync.Mutex
	objects map[string][]byte
}

func (f *fakeS3) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := strings.TrimPrefix(r.URL.Path, "/ledger-blobs/")
	f.mu.Lock()
	defer f.mu.Unlock()
	switch r.Method {
	case http.MethodPut:
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if strings.Contains(r.Header.Get("Content-Encoding"), "aws-chunked") {
			body = unchunk(body)
		}
		f.objects[key] = body
		w.Header().Set("ETag", `"x"`)
	case http.MethodGet, http.MethodHead:
		data, ok := f.objects[key]
		if !ok {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusNotFound)
			if r.Method == http.MethodGet {
				io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>no such key</Message></Error>`)
			}
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		w.Header().Set("Last-Modified", "Mon, 02 Jan 2006 15:04:05 GMT")
		w.Header().Set("ETag", `"x"`)
		if r.Method == http.MethodGet {
			w.Write(data)
		}
	default:
		http.Error(w, "unsupported", http.StatusMethodNotAllowed)
	}
}

// unchunk decodes an aws-chunked body: hex size;signature lines, data, a zero chunk, trailers.
func unchunk(body []byte) []byte {
	var out []byte
	r := bufio.NewReader(bytes.NewReader(body))
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return out
		}
		sizeHex, _, _ := strings.Cut(strings.TrimSpace(line), ";")
		n, err := strconv.ParseInt(sizeHex, 16, 64)
		if err != nil || n == 0 {
			return out
		}
		chunk := make([]byte, n)
		if _, err := io.ReadFull(r, chunk); err != nil {
			return out
		}
		out = append(out, chunk...)
		r.ReadString('\n')
	}
}

func TestS3URLsUseTheSameCode(t *testing.T) {
	fake := &fakeS3{objects: map[string][]byte{}}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")

	ctx := context.Background()
	b, err := blobstore.Open(ctx, "s3://ledger-blobs?region=us-east-1&use_path_style=true&disable_https=true&endpoint="+srv.URL)
	require.NoError(t, err)
	defer b.Close()

	data := bytes.Repeat([]byte("ciphertext "), 1000)
	d, err := b.Put(ctx, data)
	require.NoError(t, err)
	require.Equal(t, blobstore.Digest(data), d)
	require.Contains(t, fake.objects, "sha256/"+d[:2]+"/"+d)

	got, err := b.Get(ctx, d)
	require.NoError(t, err)
	require.Equal(t, data, got)

	fake.objects["sha256/"+d[:2]+"/"+d][0] ^= 1
	_, err = b.Get(ctx, d)
	require.ErrorIs(t, err, blobstore.ErrCorrupt)

	missing := blobstore.Digest([]byte("missing"))
	_, err = b.Get(ctx, missing)
	require.ErrorIs(t, err, blobstore.ErrNotFound)
	ok, err := b.Exists(ctx, missing)
	require.NoError(t, err)
	require.False(t, ok)
}
