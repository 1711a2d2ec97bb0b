//! Attachments: real multipart uploads from the "phone", what is stored (no EXIF, upright,
//! a preview), who can download (signed, short-lived, visibility re-checked), refusals
//! that store nothing, and the sweep.
use std::io::Cursor;

use exif::{Field, In, Rational, Tag, Value as ExifValue, experimental::Writer};
use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::{
    both,
    helpers::{Backend, PASSWORD, TestApp, send, spawn_app, spawn_app_with},
};

const SUBMIT: &str = "mutation($i: SubmitSuggestionInput!, $k: String!) { submitSuggestion(input: $i, idempotencyKey: $k) { id attachments { id fileName url previewUrl } } }";
const BRIEFING: &str = "query($id: ID!) { briefing(id: $id) { attachments { id fileName size checksum url } } }";

/// A 64×32 photo, left half red and right half blue, taken with the phone turned (EXIF
/// orientation 6: rotate 90° clockwise to view) at a GPS position.
pub fn phone_photo() -> Vec<u8> {
    let img = RgbImage::from_fn(64, 32, |x, _| if x < 32 { Rgb([220, 20, 20]) } else { Rgb([20, 20, 220]) });
    let mut jpeg = Vec::new();
    DynamicImage::ImageRgb8(img).write_to(&mut Cursor::new(&mut jpeg), ImageFormat::Jpeg).unwrap();
    let deg =
        |d: u32| vec![Rational { num: d, denom: 1 }, Rational { num: 0, denom: 1 }, Rational { num: 0, denom: 1 }];
    let fields = [
        Field { tag: Tag::Orientation, ifd_num: In::PRIMARY, value: ExifValue::Short(vec![6]) },
        Field { tag: Tag::GPSLatitudeRef, ifd_num: In::PRIMARY, value: ExifValue::Ascii(vec![b"N".to_vec()]) },
        Field { tag: Tag::GPSLatitude, ifd_num: In::PRIMARY, value: ExifValue::Rational(deg(39)) },
        Field { tag: Tag::GPSLongitudeRef, ifd_num: In::PRIMARY, value: ExifValue::Ascii(vec![b"E".to_vec()]) },
        Field { tag: Tag::GPSLongitude, ifd_num: In::PRIMARY, value: ExifValue::Rational(deg(116)) },
    ];
    let mut writer = Writer::new();
    for f in &fields {
        writer.push_field(f);
    }
    let mut tiff = Cursor::new(Vec::new());
    writer.write(&mut tiff, false).unwrap();
    let tiff = tiff.into_inner();
    // APP1 right after SOI: FF E1, length (itself included), "Exif\0\0", the TIFF block.
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&u16::try_from(2 + 6 + tiff.len()).unwrap().to_be_bytes());
    out.extend_from_slice(b"Exif\0\0");
    out.extend_from_slice(&tiff);
    out.extend_from_slice(&jpeg[2..]);
    out
}

fn gps_of(bytes: &[u8]) -> Option<String> {
    let exif = exif::Reader::new().read_from_container(&mut Cursor::new(bytes)).ok()?;
    exif.get_field(Tag::GPSLatitude, In::PRIMARY).map(|f| f.display_value().to_string())
}

/// A PDF of about `len` bytes.
pub fn pdf(len: usize) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n".to_vec();
    while out.len() + 6 < len {
        out.extend_from_slice(format!("% line {}\n", out.len()).as_bytes());
    }
    out.extend_from_slice(b"%%EOF\n");
    out
}

/// A small PNG screenshot.
pub fn png() -> Vec<u8> {
    let mut out = Vec::new();
    DynamicImage::ImageRgb8(RgbImage::from_pixel(600, 300, Rgb([200, 200, 200])))
        .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
        .unwrap();
    out
}

pub fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Decodes `filename*=UTF-8''…` of a Content-Disposition.
fn rfc5987_name(disposition: &str) -> String {
    let encoded = disposition.split("filename*=UTF-8''").nth(1).unwrap_or_default();
    let bytes: Vec<u8> = {
        let raw = encoded.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < raw.len() {
            if raw[i] == b'%' {
                out.push(u8::from_str_radix(std::str::from_utf8(&raw[i + 1..i + 3]).unwrap(), 16).unwrap());
                i += 3;
            } else {
                out.push(raw[i]);
                i += 1;
            }
        }
        out
    };
    String::from_utf8(bytes).unwrap()
}

pub struct Fetched {
    pub status: u16,
    headers: reqwest::header::HeaderMap,
    pub bytes: Vec<u8>,
}

impl Fetched {
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes).unwrap_or(Value::Null)
    }

    fn code(&self) -> String {
        self.json()["errors"][0]["extensions"]["code"].as_str().unwrap_or_default().to_owned()
    }
}

/// Downloads a file link the API handed out.
pub async fn fetch(app: &TestApp, url: &str, headers: &[(&str, &str)]) -> Fetched {
    assert!(url.starts_with("/files/"), "{url}");
    let mut req = app.http.get(format!("{}{url}", app.base));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    Fetched { status, headers, bytes: resp.bytes().await.unwrap().to_vec() }
}

/// Replaces the `u=` (viewer) of a link.
fn with_viewer(url: &str, user: &str) -> String {
    let start = url.find("u=").unwrap() + 2;
    let end = start + url[start..].find('&').unwrap();
    format!("{}{user}{}", &url[..start], &url[end..])
}

struct People {
    app: TestApp,
    admin: String,
    member: String,
    member_id: String,
    stranger: String,
    stranger_id: String,
}

async fn people(app: TestApp) -> People {
    let admin = app.admin().await;
    let city = app.current_org(&admin).await;
    let member_id = app.person(&admin, "13900007001", "张委员", &city, "MEMBER").await;
    let stranger_id = app.person(&admin, "13900007002", "李委员", &city, "MEMBER").await;
    let member = app.login("13900007001", PASSWORD).await.access;
    let stranger = app.login("13900007002", PASSWORD).await.access;
    People { app, admin, member, member_id, stranger, stranger_id }
}

fn piece(ids: &[&str]) -> Value {
    json!({
        "title": "东门路口积水严重",
        "content": "每逢大雨东门路口积水没过脚踝，建议疏通排水管网。",
        "category": "城市管理",
        "attachmentIds": ids,
    })
}

async fn photo_travels_without_its_location(backend: Backend) {
    let p = people(spawn_app(backend).await).await;
    let app = &p.app;
    let photo = phone_photo();
    assert!(gps_of(&photo).is_some_and(|g| g.contains("39")), "the fixture carries a GPS position");

    let up = app.upload(&p.member, "SUGGESTION", "现场照片（东门）.jpeg", photo.clone()).await;
    let a = &up.data()["uploadAttachment"];
    assert_eq!(a["fileName"], "现场照片（东门）.jpeg");
    assert_eq!(a["contentType"], "image/jpeg");
    assert_eq!(a["purpose"], "SUGGESTION");
    assert_eq!(a["isImage"], true);
    assert_eq!((a["width"].as_i64(), a["height"].as_i64()), (Some(32), Some(64)), "turned upright");
    assert_eq!(a["createdBy"]["name"], "张委员");
    let id = a["id"].as_str().unwrap().to_owned();

    let submitted = app.gql(Some(&p.member), SUBMIT, json!({ "i": piece(&[&id]), "k": "photo-key-0001" })).await;
    let linked = &submitted.data()["submitSuggestion"]["attachments"][0];
    assert_eq!(linked["id"], id.as_str());
    let url = linked["url"].as_str().unwrap().to_owned();

    // What anyone reading it gets: no EXIF at all, upright, and the checksum it announced.
    let got = fetch(app, &url, &[]).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.header("content-type"), "image/jpeg");
    assert_eq!(got.header("x-content-type-options"), "nosniff");
    assert!(gps_of(&got.bytes).is_none(), "GPS position removed");
    assert!(exif::Reader::new().read_from_container(&mut Cursor::new(&got.bytes)).is_err(), "no EXIF left");
    assert!(!got.bytes.windows(4).any(|w| w == b"Exif"));
    assert_eq!(got.header("etag"), format!("\"{}\"", sha256(&got.bytes)));
    assert_eq!(a["checksum"], sha256(&got.bytes));
    assert_eq!(a["size"].as_u64(), Some(got.bytes.len() as u64));
    assert_eq!(rfc5987_name(got.header("content-disposition")), "现场照片（东门）.jpeg");
    let upright = image::load_from_memory(&got.bytes).unwrap().to_rgb8();
    assert_eq!(upright.dimensions(), (32, 64));
    let [r, _, b] = upright.get_pixel(16, 8).0;
    assert!(r > 150 && b < 100, "the left (red) half is on top after turning clockwise");
    let [r, _, b] = upright.get_pixel(16, 56).0;
    assert!(b > 150 && r < 100, "the right (blue) half below");

    let preview = fetch(app, linked["previewUrl"].as_str().unwrap(), &[]).await;
    assert_eq!(preview.status, 200);
    assert_eq!(preview.header("content-type"), "image/jpeg");
    assert!(gps_of(&preview.bytes).is_none());
    assert!(image::load_from_memory(&preview.bytes).unwrap().width() <= 480);

    // Unchanged since: 304.
    let etag = got.header("etag").to_owned();
    assert_eq!(fetch(app, &url, &[("if-none-match", &etag)]).await.status, 304);

    // The office sees the piece and its photo.
    let office = app
        .gql(
            Some(&p.admin),
            "query($id: ID!) { suggestion(id: $id) { attachments { url } } }",
            json!({ "id": submitted.data()["submitSuggestion"]["id"] }),
        )
        .await;
    let office_url = office.data()["suggestion"]["attachments"][0]["url"].as_str().unwrap().to_owned();
    assert_eq!(fetch(app, &office_url, &[]).await.status, 200);

    // Another member: the link is not theirs, and the upload cannot be taken over.
    let stolen = fetch(app, &with_viewer(&url, &p.stranger_id), &[]).await;
    assert_eq!((stolen.status, stolen.code().as_str()), (403, "FORBIDDEN"));
    let before = app.count_rows("suggestion").await;
    let taken = app.gql(Some(&p.stranger), SUBMIT, json!({ "i": piece(&[&id]), "k": "photo-key-0002" })).await;
    taken.refused("BAD_USER_INPUT");
    assert_eq!(taken.field(), "attachmentIds.0");
    assert_eq!(app.count_rows("suggestion").await, before, "nothing saved");
    let theirs = app
        .gql(
            Some(&p.stranger),
            "query($id: ID!) { suggestion(id: $id) { id } }",
            json!({ "id": submitted.data()["submitSuggestion"]["id"] }),
        )
        .await;
    theirs.refused("NOT_FOUND");
}
both!(photo_travels_without_its_location);

async fn refused_files_leave_nothing(backend: Backend) {
    let p = people(
        spawn_app_with(backend, |s| {
            s.upload_max_file_bytes = 100_000;
            s.upload_max_files_per_request = 1;
        })
        .await,
    )
    .await;
    let app = &p.app;

    // Two files in one request where one is allowed (two aliased uploads).
    let query = format!(
        "mutation($a: Upload!, $b: Upload!) {{ a: {} b: {} }}",
        "uploadAttachment(file: $a, purpose: SUGGESTION) { id }",
        "uploadAttachment(file: $b, purpose: SUGGESTION) { id }"
    );
    let part = |name: &str| reqwest::multipart::Part::bytes(pdf(1000)).file_name(name.to_owned());
    let form = reqwest::multipart::Form::new()
        .text("operations", json!({ "query": query, "variables": { "a": null, "b": null } }).to_string())
        .text("map", json!({ "0": ["variables.a"], "1": ["variables.b"] }).to_string())
        .part("0", part("一.pdf"))
        .part("1", part("二.pdf"));
    let post = |form| {
        app.http
            .post(format!("{}/graphql", app.base))
            .bearer_auth(&p.member)
            .header("apollo-require-preflight", "true")
            .multipart(form)
    };
    let a = send(post(form)).await;
    assert_eq!(a.status, 413);
    a.refused("BAD_USER_INPUT");
    // A multipart body that is not a graphql-multipart-request.
    let a = send(post(reqwest::multipart::Form::new().part("0", part("三.pdf")))).await;
    assert_eq!(a.status, 400);
    a.refused("BAD_USER_INPUT");

    let elf = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0\x3e\0\x01\0\0\0".repeat(20);
    let a = app.upload(&p.member, "SUGGESTION", "报告.pdf", elf).await;
    a.refused("BAD_USER_INPUT");
    assert_eq!(a.field(), "file");
    assert!(a.message().contains("不支持"), "{}", a.message());

    let heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic\0\0\0\0".to_vec();
    let a = app.upload(&p.member, "SUGGESTION", "IMG_0001.HEIC", heic).await;
    a.refused("BAD_USER_INPUT");
    assert!(a.message().contains("HEIC"), "{}", a.message());

    let a = app.upload(&p.member, "SUGGESTION", "大文件.pdf", pdf(150_000)).await;
    assert_eq!(a.status, 413);
    a.refused("BAD_USER_INPUT");
    assert!(a.message().contains("不能超过"), "{}", a.message());

    let mut broken = phone_photo();
    broken.truncate(200);
    app.upload(&p.member, "SUGGESTION", "坏图.jpg", broken).await.refused("BAD_USER_INPUT");

    // A form on another site cannot send the preflight-forcing header.
    let a = app.upload_with(Some(&p.member), "SUGGESTION", "a.pdf", pdf(1000), false).await;
    assert_eq!(a.status, 400);
    a.refused("BAD_USER_INPUT");
    assert_eq!(a.field(), "Apollo-Require-Preflight");

    app.upload_with(None, "SUGGESTION", "a.pdf", pdf(1000), true).await.refused("UNAUTHENTICATED");
    app.upload(&p.member, "BRIEFING", "a.pdf", pdf(1000)).await.refused("FORBIDDEN");

    assert_eq!(app.count_rows("attachment").await, 0);
    assert_eq!(app.stored_files(), 0, "nothing reached the store");
}
both!(refused_files_leave_nothing);

async fn briefing_documents_follow_the_audience(backend: Backend) {
    let p = people(spawn_app(backend).await).await;
    let app = &p.app;
    let document = pdf(300_000);
    let id = app.uploaded(&p.admin, "BRIEFING", "2026年第3期情况通报.pdf", document.clone()).await;
    let created = app
        .gql(
            Some(&p.admin),
            "mutation($i: CreateBriefingInput!) { createBriefing(input: $i) { id attachmentCount } }",
            json!({ "i": {
                "title": "关于全市创卫工作的情况通报", "summary": "创卫进展", "body": "全市创卫工作稳步推进。",
                "source": "市政府", "audience": { "userIds": [p.member_id] }, "attachmentIds": [id],
            } }),
        )
        .await;
    assert_eq!(created.data()["createBriefing"]["attachmentCount"], 1);
    let briefing = created.data()["createBriefing"]["id"].as_str().unwrap().to_owned();
    app.gql(Some(&p.admin), "mutation($id: ID!) { publishBriefing(id: $id) { id } }", json!({ "id": briefing }))
        .await
        .data();

    let read = app.gql(Some(&p.member), BRIEFING, json!({ "id": briefing })).await;
    let a = &read.data()["briefing"]["attachments"][0];
    assert_eq!(a["fileName"], "2026年第3期情况通报.pdf");
    assert_eq!(a["size"].as_u64(), Some(document.len() as u64));
    assert_eq!(a["checksum"], sha256(&document), "documents are stored as they came");
    let url = a["url"].as_str().unwrap().to_owned();

    let whole = fetch(app, &url, &[]).await;
    assert_eq!(whole.status, 200);
    assert_eq!(whole.bytes, document);
    assert_eq!(whole.header("content-type"), "application/pdf");
    assert_eq!(whole.header("accept-ranges"), "bytes");
    assert!(whole.header("content-disposition").starts_with("inline; filename=\"file.pdf\"; filename*=UTF-8''"));
    assert_eq!(rfc5987_name(whole.header("content-disposition")), "2026年第3期情况通报.pdf");
    assert!(whole.header("cache-control").starts_with("private"));

    // Page by page: byte ranges.
    let part = fetch(app, &url, &[("range", "bytes=1000-1999")]).await;
    assert_eq!(part.status, 206);
    assert_eq!(part.header("content-range"), format!("bytes 1000-1999/{}", document.len()));
    assert_eq!(part.bytes, document[1000..2000]);
    let tail = fetch(app, &url, &[("range", "bytes=-100")]).await;
    assert_eq!((tail.status, tail.bytes.as_slice()), (206, &document[document.len() - 100..]));
    let beyond = fetch(app, &url, &[("range", "bytes=900000-")]).await;
    assert_eq!(beyond.status, 416);

    // Outside the audience: no briefing, and the member's link does not open for them.
    app.gql(Some(&p.stranger), BRIEFING, json!({ "id": briefing })).await.refused("NOT_FOUND");
    assert_eq!(fetch(app, &with_viewer(&url, &p.stranger_id), &[]).await.status, 403);
    let forged = format!("{}x", &url[..url.len() - 1]);
    assert_eq!(fetch(app, &forged, &[]).await.status, 403);
    let no_signature = url.split("&s=").next().unwrap().to_owned();
    assert_eq!(fetch(app, &no_signature, &[]).await.status, 403);

    // The audience changes: the member's still-fresh link stops working at once.
    app.gql(
        Some(&p.admin),
        "mutation($id: ID!, $i: UpdateBriefingInput!) { updateBriefing(id: $id, input: $i) { id } }",
        json!({ "id": briefing, "i": { "audience": { "userIds": [p.stranger_id] } } }),
    )
    .await
    .data();
    let gone = fetch(app, &url, &[]).await;
    assert_eq!((gone.status, gone.code().as_str()), (404, "NOT_FOUND"));
    let now_theirs = app.gql(Some(&p.stranger), BRIEFING, json!({ "id": briefing })).await;
    let their_url = now_theirs.data()["briefing"]["attachments"][0]["url"].as_str().unwrap().to_owned();
    assert_eq!(fetch(app, &their_url, &[]).await.bytes, document);

    // An edit that gives another list replaces the documents; the one left out is gone.
    let errata = app.uploaded(&p.admin, "BRIEFING", "勘误.pdf", pdf(2000)).await;
    let edited = app
        .gql(
            Some(&p.admin),
            "mutation($id: ID!, $i: UpdateBriefingInput!) { updateBriefing(id: $id, input: $i) { attachmentCount attachments { fileName } } }",
            json!({ "id": briefing, "i": { "attachmentIds": [errata] } }),
        )
        .await;
    assert_eq!(edited.data()["updateBriefing"]["attachmentCount"], 1);
    assert_eq!(edited.data()["updateBriefing"]["attachments"][0]["fileName"], "勘误.pdf");
    assert_eq!(fetch(app, &their_url, &[]).await.status, 404);
}
both!(briefing_documents_follow_the_audience);

async fn links_expire(backend: Backend) {
    let p = people(spawn_app_with(backend, |s| s.file_url_ttl_secs = 1).await).await;
    let app = &p.app;
    let up = app.upload(&p.member, "SUGGESTION", "截图.png", png()).await;
    let url = up.data()["uploadAttachment"]["url"].as_str().unwrap().to_owned();
    assert_eq!(fetch(app, &url, &[]).await.status, 200, "an upload not linked yet: its uploader");
    tokio::time::sleep(std::time::Duration::from_millis(3100)).await;
    let late = fetch(app, &url, &[]).await;
    assert_eq!((late.status, late.code().as_str()), (403, "FORBIDDEN"));
    assert!(late.json()["errors"][0]["message"].as_str().unwrap_or_default().contains("过期"));
}
both!(links_expire);

async fn unused_files_are_swept(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        s.attachment_orphan_after_secs = 1;
        s.attachment_cleanup_interval_secs = 1;
    })
    .await;
    let p = people(app).await;
    let app = &p.app;
    let kept = app.uploaded(&p.member, "SUGGESTION", "留下.jpg", phone_photo()).await;
    app.uploaded(&p.member, "SUGGESTION", "没用上.jpg", phone_photo()).await;
    let submitted = app.gql(Some(&p.member), SUBMIT, json!({ "i": piece(&[&kept]), "k": "sweep-key-0001" })).await;
    let url = submitted.data()["submitSuggestion"]["attachments"][0]["url"].as_str().unwrap().to_owned();

    // A draft briefing with a document, deleted: its document goes too.
    let doc = app.uploaded(&p.admin, "BRIEFING", "草稿附件.pdf", pdf(5000)).await;
    let draft = app
        .gql(
            Some(&p.admin),
            "mutation($i: CreateBriefingInput!) { createBriefing(input: $i) { id } }",
            json!({ "i": { "title": "草稿", "summary": "", "body": "", "source": "市政府", "audience": {}, "attachmentIds": [doc] } }),
        )
        .await;
    let draft = draft.data()["createBriefing"]["id"].as_str().unwrap().to_owned();
    app.gql(Some(&p.admin), "mutation($id: ID!) { deleteBriefing(id: $id) { id } }", json!({ "id": draft }))
        .await
        .data();
    assert_eq!(app.stored_files(), 5, "two photos with previews and a document");

    let mut left = i64::MAX;
    for _ in 0..50 {
        left = app.count_rows("attachment").await;
        if left == 1 && app.stored_files() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(left, 1, "only the linked photo is left");
    assert_eq!(app.stored_files(), 2, "the linked photo and its preview");
    assert_eq!(fetch(app, &url, &[]).await.status, 200);
}
both!(unused_files_are_swept);

pub fn s3_endpoint() -> String {
    std::env::var("TEST_S3_ENDPOINT").unwrap_or_else(|_| "http://127.0.0.1:9000".into())
}

/// The object keys in a bucket (S3 ListObjectsV2).
async fn s3_keys(app: &TestApp, bucket: &str) -> Vec<String> {
    let xml =
        app.http.get(format!("{}/{bucket}?list-type=2", s3_endpoint())).send().await.unwrap().text().await.unwrap();
    xml.split("<Key>").skip(1).map(|k| k.split("</Key>").next().unwrap_or_default().to_owned()).collect()
}

/// The same journey against S3-compatible storage (moto_server locally, as MinIO or a
/// cloud's object storage in a deployment with several API processes).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_store_serves_and_sweeps() {
    let bucket = format!("cppcc-test-{}", uuid::Uuid::new_v4().simple());
    let created = reqwest::Client::new().put(format!("{}/{bucket}", s3_endpoint())).send().await.unwrap();
    assert!(created.status().is_success(), "bucket: {}", created.status());
    let app = spawn_app_with(Backend::Postgres, |s| {
        s.storage_backend = api::config::StorageBackend::S3;
        s.s3_bucket = Some(bucket.clone());
        s.s3_endpoint = Some(s3_endpoint());
        s.s3_allow_http = true;
        s.s3_access_key_id = Some("test".into());
        s.s3_secret_access_key = Some("test".into());
        s.attachment_orphan_after_secs = 1;
        s.attachment_cleanup_interval_secs = 1;
    })
    .await;
    let ready: Value = app.http.get(format!("{}/readyz", app.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(ready["fileStore"], json!({ "backend": "s3", "status": "ok" }));
    let p = people(app).await;
    let app = &p.app;

    let kept = app.uploaded(&p.member, "SUGGESTION", "现场.jpg", phone_photo()).await;
    app.uploaded(&p.member, "SUGGESTION", "没用上.pdf", pdf(50_000)).await;
    assert_eq!(s3_keys(app, &bucket).await.len(), 3, "a photo with its preview, a document");
    let submitted = app.gql(Some(&p.member), SUBMIT, json!({ "i": piece(&[&kept]), "k": "s3-key-0001" })).await;
    let url = submitted.data()["submitSuggestion"]["attachments"][0]["url"].as_str().unwrap().to_owned();
    let got = fetch(app, &url, &[]).await;
    assert_eq!(got.status, 200);
    assert!(gps_of(&got.bytes).is_none());
    let part = fetch(app, &url, &[("range", "bytes=0-9")]).await;
    assert_eq!((part.status, part.bytes.as_slice()), (206, &got.bytes[..10]));

    let mut keys = Vec::new();
    for _ in 0..50 {
        keys = s3_keys(app, &bucket).await;
        if keys.len() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(keys.len(), 2, "the unused document is swept: {keys:?}");
    assert!(keys.iter().all(|k| k.contains(&got.header("etag").replace('"', ""))), "{keys:?}");
}

const DRAFT: &str =
    "mutation($i: CreateProposalDraftInput!) { createProposalDraft(input: $i) { id attachments { id } } }";
const REDRAFT: &str = "mutation($id: ID!, $i: UpdateProposalDraftInput!) { updateProposalDraft(id: $id, input: $i) { attachments { id fileName url } } }";

fn proposal(ids: &[&str]) -> Value {
    json!({ "title": "关于东门路口排水改造的提案", "background": "积水严重", "suggestions": "改造排水管网", "category": "城市建设", "attachmentIds": ids })
}

async fn linking_rules_and_what_travels(backend: Backend) {
    let p = people(spawn_app_with(backend, |s| s.attachments_max_per_record = 2).await).await;
    let app = &p.app;
    let first = app.uploaded(&p.member, "PROPOSAL", "现状照片.jpg", phone_photo()).await;
    let second = app.uploaded(&p.member, "PROPOSAL", "改造方案.pdf", pdf(3000)).await;
    let third = app.uploaded(&p.member, "PROPOSAL", "附表.png", png()).await;
    let for_a_piece = app.uploaded(&p.member, "SUGGESTION", "另一张.png", png()).await;

    // Refusals name the entry and save nothing.
    let member = p.member.as_str();
    let refused = |input: Value, field: &'static str| async move {
        let a = app.gql(Some(member), DRAFT, json!({ "i": input })).await;
        a.refused("BAD_USER_INPUT");
        assert_eq!(a.field(), field, "{}", a.body);
    };
    refused(proposal(&[&first, &second, &third]), "attachmentIds").await;
    refused(proposal(&[&first, &first]), "attachmentIds").await;
    refused(proposal(&[&for_a_piece]), "attachmentIds.0").await;
    assert_eq!(app.count_rows("proposal").await, 0);

    let draft = app.gql(Some(&p.member), DRAFT, json!({ "i": proposal(&[&first]) })).await;
    let draft = draft.data()["createProposalDraft"]["id"].as_str().unwrap().to_owned();
    // One record per upload.
    let twice = app.gql(Some(&p.member), DRAFT, json!({ "i": proposal(&[&first]) })).await;
    twice.refused("BAD_USER_INPUT");
    assert!(twice.message().contains("其他记录"), "{}", twice.message());
    assert_eq!(app.count_rows("proposal").await, 1, "the refused draft was not kept");

    // Replacing the list lets the left-out upload go: its link stops working.
    let before = app
        .gql(Some(&p.member), "query($id: ID!) { proposal(id: $id) { attachments { url } } }", json!({ "id": draft }))
        .await;
    let old_url = before.data()["proposal"]["attachments"][0]["url"].as_str().unwrap().to_owned();
    let redrafted =
        app.gql(Some(&p.member), REDRAFT, json!({ "id": draft, "i": { "attachmentIds": [second, third] } })).await;
    let names: Vec<&str> = redrafted.data()["updateProposalDraft"]["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["fileName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["改造方案.pdf", "附表.png"], "in the order given");
    assert_eq!(fetch(app, &old_url, &[]).await.status, 404);
    let untouched = app
        .gql(Some(&p.member), REDRAFT, json!({ "id": draft, "i": { "title": "关于东门路口排水管网改造的提案" } }))
        .await;
    assert_eq!(untouched.data()["updateProposalDraft"]["attachments"].as_array().unwrap().len(), 2, "omitted: kept");

    // Turned into a piece of information, the proposal's documents go with it.
    app.gql(
        Some(&p.member),
        "mutation($id: ID!) { submitProposal(id: $id, idempotencyKey: \"att-submit-0001\") { status } }",
        json!({ "id": draft }),
    )
    .await
    .data();
    let rejected = app
        .gql(Some(&p.admin), "mutation($id: ID!) { rejectProposal(id: $id, reason: \"属具体事务\", convertToSuggestion: true) { convertedSuggestionId } }", json!({ "id": draft }))
        .await;
    let piece_id = rejected.data()["rejectProposal"]["convertedSuggestionId"].as_str().unwrap().to_owned();
    let piece = app
        .gql(
            Some(&p.member),
            "query($id: ID!) { suggestion(id: $id) { attachments { fileName url } } }",
            json!({ "id": piece_id }),
        )
        .await;
    let list = piece.data()["suggestion"]["attachments"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    let got = fetch(app, list[0]["url"].as_str().unwrap(), &[]).await;
    assert_eq!((got.status, got.bytes), (200, pdf(3000)));
}
both!(linking_rules_and_what_travels);

async fn uploads_are_rate_limited(backend: Backend) {
    let p = people(spawn_app_with(backend, |s| s.uploads_per_hour = 2).await).await;
    let app = &p.app;
    app.uploaded(&p.member, "SUGGESTION", "1.png", png()).await;
    app.uploaded(&p.member, "SUGGESTION", "2.png", png()).await;
    let third = app.upload(&p.member, "SUGGESTION", "3.png", png()).await;
    third.refused("RATE_LIMITED");
    assert!(third.body["errors"][0]["extensions"]["retryAfter"].as_u64().is_some_and(|s| s > 0 && s <= 3600));
    assert_eq!(app.count_rows("attachment").await, 2);
    app.uploaded(&p.stranger, "SUGGESTION", "别人的.png", png()).await;
}
both!(uploads_are_rate_limited);
