//! The graphql-multipart-request reader (uploads). async-graphql's own reader gives every
//! part the file size limit, so the `operations` part — the query and its variables, read
//! whole into memory — could be 20 MB where a JSON body may be 1 MB: a 4.6 MB query went
//! through this way. This one reads the same format with multer (the parser async-graphql
//! uses) and holds `operations` and `map` to `MAX_BODY_BYTES`, files to
//! `UPLOAD_MAX_FILE_BYTES`, and the whole stream to the sum.
use std::{collections::HashMap, io::Write};

use async_graphql::UploadValue;

/// Why a multipart request was not read.
#[derive(Debug)]
pub enum Unread {
    /// `operations` or `map` over the body limit.
    PartTooLarge(String),
    /// A file over its limit, or more of them than allowed.
    FileTooLarge,
    Batch,
    Malformed(String),
}

pub struct MultipartLimits {
    pub max_body_bytes: usize,
    pub max_file_bytes: usize,
    pub max_files: usize,
}

fn malformed(e: impl std::fmt::Display) -> Unread {
    Unread::Malformed(e.to_string())
}

fn read_error(e: multer::Error) -> Unread {
    match e {
        multer::Error::FieldSizeExceeded { field_name: Some(name), .. } if name == "operations" || name == "map" => {
            Unread::PartTooLarge(name)
        }
        multer::Error::FieldSizeExceeded { .. } | multer::Error::StreamSizeExceeded { .. } => Unread::FileTooLarge,
        other => malformed(other),
    }
}

pub async fn receive(
    content_type: &str,
    body: poem::Body,
    limits: &MultipartLimits,
) -> Result<async_graphql::Request, Unread> {
    let boundary = multer::parse_boundary(content_type).map_err(malformed)?;
    let (json, file) = (limits.max_body_bytes as u64, limits.max_file_bytes as u64);
    // Room for both JSON parts, every file and the parts' headers.
    let whole = json.saturating_mul(2).saturating_add(file.saturating_mul(limits.max_files as u64));
    let size = multer::SizeLimit::new()
        .whole_stream(whole)
        .per_field(file)
        .for_field("operations", json)
        .for_field("map", json);
    let stream = body.into_bytes_stream();
    let mut multipart =
        multer::Multipart::with_constraints(stream, boundary, multer::Constraints::new().size_limit(size));

    let mut request: Option<async_graphql::Request> = None;
    let mut map: Option<HashMap<String, Vec<String>>> = None;
    let mut files = Vec::new();
    while let Some(mut field) = multipart.next_field().await.map_err(read_error)? {
        match field.name() {
            Some("operations") => {
                let bytes = field.bytes().await.map_err(read_error)?;
                if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
                    return Err(Unread::Batch);
                }
                request = Some(serde_json::from_slice(&bytes).map_err(malformed)?);
            }
            Some("map") => {
                let bytes = field.bytes().await.map_err(read_error)?;
                map = Some(serde_json::from_slice(&bytes).map_err(malformed)?);
            }
            Some(name) => {
                let Some(filename) = field.file_name().map(ToString::to_string) else { continue };
                if files.len() >= limits.max_files {
                    return Err(Unread::FileTooLarge);
                }
                let name = name.to_owned();
                let content_type = field.content_type().map(ToString::to_string);
                // The files go to anonymous temporary files, gone when the request is.
                let mut content = tempfile::tempfile().map_err(malformed)?;
                while let Some(chunk) = field.chunk().await.map_err(read_error)? {
                    content.write_all(&chunk).map_err(malformed)?;
                }
                std::io::Seek::rewind(&mut content).map_err(malformed)?;
                files.push((name, UploadValue { filename, content_type, content }));
            }
            None => {}
        }
    }
    let mut request = request.ok_or_else(|| malformed("missing the `operations` part"))?;
    let mut map = map.ok_or_else(|| malformed("missing the `map` part"))?;
    for (name, upload) in files {
        for path in map.remove(&name).unwrap_or_default() {
            request.set_upload(&path, upload.try_clone().map_err(malformed)?);
        }
    }
    Ok(request)
}
