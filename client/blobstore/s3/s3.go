// Package s3 registers the s3:// URL scheme with blobstore.Open, so that a program can keep
// its blobs in S3-compatible object storage (AWS S3, MinIO, Ceph RGW, ...) with the same
// code as a local directory. Import it for its side effect, in main packages only:
//
//	import _ "github.com/statledger/statledger/client/blobstore/s3"
//
// URLs look like s3://bucket?region=eu-west-1, or for a self-hosted service
// s3://bucket?region=us-east-1&endpoint=https://minio.example:9000&use_path_style=true.
// Credentials come from the AWS SDK's default chain (environment, shared files, instance
// roles), never from the URL. It is a separate package because the AWS SDK roughly doubles
// the size of a binary that only needs local directories.
package s3

import _ "gocloud.dev/blob/s3blob" // registers s3://
