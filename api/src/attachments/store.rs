//! Where the bytes of attachments live, behind the `object_store` crate's one interface:
//! a local folder (the embedded default) or S3-compatible storage (several API processes,
//! or MinIO / OSS / COS in a government cloud). The database holds the metadata; a key is
//! `<first two hex digits of the hash>/<sha256>-<attachment id>[.preview]`.
use std::{ops::Range, sync::Arc};

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use object_store::{
    GetOptions, GetRange, ObjectStore, PutPayload, aws::AmazonS3Builder, local::LocalFileSystem, path::Path,
};
use secrecy::ExposeSecret;
use uuid::Uuid;

use crate::{
    config::{Settings, StorageBackend},
    error::{AppError, AppResult},
};

#[derive(Clone)]
pub struct Files {
    store: Arc<dyn ObjectStore>,
    backend: &'static str,
}

/// The object key of an attachment's bytes.
pub fn key(checksum: &str, id: Uuid) -> String {
    format!("{}/{checksum}-{id}", checksum.get(..2).unwrap_or("00"))
}

pub fn preview_key(checksum: &str, id: Uuid) -> String {
    format!("{}.preview", key(checksum, id))
}

fn failed(what: &str, e: object_store::Error) -> AppError {
    AppError::internal(format!("file store, {what}: {e}"))
}

impl Files {
    pub fn from_settings(s: &Settings) -> Result<Self, String> {
        match s.storage_backend {
            StorageBackend::Fs => {
                std::fs::create_dir_all(&s.storage_dir).map_err(|e| format!("STORAGE_DIR {}: {e}", s.storage_dir))?;
                let store = LocalFileSystem::new_with_prefix(&s.storage_dir)
                    .map_err(|e| format!("STORAGE_DIR {}: {e}", s.storage_dir))?
                    // Removing a file also removes the folders it leaves empty.
                    .with_automatic_cleanup(true);
                Ok(Self { store: Arc::new(store), backend: "fs" })
            }
            StorageBackend::S3 => {
                let bucket = s.s3_bucket.clone().ok_or("STORAGE_BACKEND=s3 needs S3_BUCKET")?;
                let mut builder = AmazonS3Builder::new()
                    .with_bucket_name(bucket)
                    .with_region(&s.s3_region)
                    .with_allow_http(s.s3_allow_http);
                if let Some(endpoint) = &s.s3_endpoint {
                    builder = builder.with_endpoint(endpoint);
                }
                if let Some(id) = &s.s3_access_key_id {
                    builder = builder.with_access_key_id(id);
                }
                if let Some(secret) = &s.s3_secret_access_key {
                    builder = builder.with_secret_access_key(secret.expose_secret());
                }
                let store = builder.build().map_err(|e| format!("S3 storage: {e}"))?;
                Ok(Self { store: Arc::new(store), backend: "s3" })
            }
        }
    }

    pub fn backend(&self) -> &'static str {
        self.backend
    }

    pub async fn put(&self, key: &str, bytes: Vec<u8>) -> AppResult<()> {
        self.store.put(&Path::from(key), PutPayload::from(bytes)).await.map(drop).map_err(|e| failed("put", e))
    }

    /// The object's bytes (or a range of them) as a stream, with the range served.
    pub async fn get(
        &self,
        key: &str,
        range: Option<Range<u64>>,
    ) -> AppResult<(Range<u64>, impl Stream<Item = Result<Bytes, std::io::Error>> + use<>)> {
        let options = GetOptions { range: range.map(GetRange::Bounded), ..GetOptions::default() };
        let got = self.store.get_opts(&Path::from(key), options).await.map_err(|e| match e {
            object_store::Error::NotFound { .. } => AppError::not_found("文件不存在"),
            e => failed("get", e),
        })?;
        let served = got.range.clone();
        Ok((served, got.into_stream().map(|chunk| chunk.map_err(std::io::Error::other))))
    }

    /// The whole object (previews are small).
    pub async fn read(&self, key: &str) -> AppResult<Bytes> {
        let got = self.store.get(&Path::from(key)).await.map_err(|e| match e {
            object_store::Error::NotFound { .. } => AppError::not_found("文件不存在"),
            e => failed("get", e),
        })?;
        got.bytes().await.map_err(|e| failed("read", e))
    }

    /// Removes an object; one that is already gone is fine (the purge may run twice).
    pub async fn delete(&self, key: &str) -> AppResult<()> {
        match self.store.delete(&Path::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(failed("delete", e)),
        }
    }

    /// Whether the store answers (for `/readyz`).
    pub async fn ping(&self) -> bool {
        self.store.list_with_delimiter(None).await.is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_folder_store_keeps_reads_and_forgets() {
        let dir = std::env::temp_dir().join(format!("cppcc-store-{}", Uuid::new_v4().simple()));
        let settings = Settings { storage_dir: dir.display().to_string(), ..Settings::default() };
        let files = Files::from_settings(&settings).unwrap_or_else(|e| panic!("{e}"));
        let k = key("abcdef", Uuid::new_v4());
        files.put(&k, b"hello world".to_vec()).await.unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(files.read(&k).await.ok().as_deref(), Some(&b"hello world"[..]));
        let (range, _) = files.get(&k, Some(6..11)).await.unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(range, 6..11);
        files.delete(&k).await.unwrap_or_else(|e| panic!("{e:?}"));
        files.delete(&k).await.unwrap_or_else(|e| panic!("deleting twice is fine: {e:?}"));
        assert!(matches!(files.read(&k).await, Err(AppError::NotFound(_))));
        assert!(files.ping().await);
        let _ = std::fs::remove_dir_all(dir);
    }
}
