//! What happens to an uploaded file before it is stored: its type is read from its bytes
//! (never from the name or the type the client announces), photos are decoded, turned
//! upright and encoded again — which leaves their EXIF metadata, GPS position included,
//! behind — and get a small preview for lists on phones. Plain functions over bytes.
use std::io::Cursor;

use image::{
    DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits, RgbImage, codecs::jpeg::JpegEncoder,
    metadata::Orientation,
};
use sha2::{Digest, Sha256};

use crate::error::{AppError, AppResult};

/// Width of the preview of a photo: enough for a list on a phone.
pub const PREVIEW_WIDTH: u32 = 480;
/// Photos larger than this on either side are refused (a phone photo is about 4000 px).
const MAX_SIDE: u32 = 16_384;
/// Memory one decoded photo may take: the guard against decompression bombs.
const MAX_DECODED_BYTES: u64 = 512 * 1024 * 1024;
const ACCEPTED: &str = "只接受 JPEG、PNG 图片和 PDF、Word（.docx）、Excel（.xlsx）文件";

/// The kinds of file accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Jpeg,
    Png,
    Pdf,
    Docx,
    Xlsx,
}

impl FileKind {
    pub fn mime(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Pdf => "application/pdf",
            Self::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }

    /// File name extensions that fit the kind; the first is added when the name has none.
    fn extensions(self) -> &'static [&'static str] {
        match self {
            Self::Jpeg => &["jpg", "jpeg"],
            Self::Png => &["png"],
            Self::Pdf => &["pdf"],
            Self::Docx => &["docx"],
            Self::Xlsx => &["xlsx"],
        }
    }

    pub fn is_image(self) -> bool {
        matches!(self, Self::Jpeg | Self::Png)
    }
}

fn refuse(message: impl Into<String>) -> AppError {
    AppError::bad_input("file", message)
}

/// The kind of a file, by its magic bytes.
pub fn sniff(bytes: &[u8]) -> AppResult<FileKind> {
    if bytes.is_empty() {
        return Err(refuse("文件为空"));
    }
    let Some(found) = infer::get(bytes) else {
        return Err(refuse(format!("无法识别的文件类型；{ACCEPTED}")));
    };
    match found.mime_type() {
        "image/jpeg" => Ok(FileKind::Jpeg),
        "image/png" => Ok(FileKind::Png),
        "application/pdf" => Ok(FileKind::Pdf),
        m if m == FileKind::Docx.mime() => Ok(FileKind::Docx),
        m if m == FileKind::Xlsx.mime() => Ok(FileKind::Xlsx),
        // No kept Rust crate decodes HEIC, so its EXIF could not be removed: refuse it
        // rather than pass a member's GPS position on. iPhones send JPEG when asked.
        "image/heif" | "image/heic" => Err(refuse(
            "暂不支持 HEIC 照片（无法去除其中的位置信息），请选择 JPEG 格式（iPhone：设置 → 相机 → 格式 → 兼容性最佳）",
        )),
        other => Err(refuse(format!("不支持的文件类型（{other}）；{ACCEPTED}"))),
    }
}

/// The name shown and offered on download: the last path segment the client sent, without
/// control characters, at most 120 characters, ending in an extension that fits the kind.
pub fn clean_name(raw: &str, kind: FileKind) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let base: String = base.chars().filter(|c| !c.is_control()).collect();
    let base = base.trim().trim_start_matches('.').trim();
    let (stem, ext) = match base.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() && ext.len() <= 5 && ext.chars().all(|c| c.is_ascii_alphanumeric()) => {
            (stem, Some(ext.to_ascii_lowercase()))
        }
        _ => (base, None),
    };
    let stem: String = stem.trim().chars().take(100).collect();
    let stem = if stem.is_empty() { "附件".to_owned() } else { stem };
    let ext = match ext {
        Some(e) if kind.extensions().contains(&e.as_str()) => e,
        _ => kind.extensions()[0].to_owned(),
    };
    format!("{stem}.{ext}")
}

/// A file ready to store.
pub struct Accepted {
    pub kind: FileKind,
    /// What is stored and served: the upload itself, or the photo encoded again.
    pub bytes: Vec<u8>,
    /// SHA-256 of `bytes`, hex.
    pub checksum: String,
    pub photo: Option<Photo>,
}

pub struct Photo {
    pub width: u32,
    pub height: u32,
    /// A JPEG at most `PREVIEW_WIDTH` wide.
    pub preview: Vec<u8>,
}

pub fn checksum(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Checks and prepares one upload. CPU-bound: run it off the async executor.
pub fn accept(bytes: Vec<u8>, max_bytes: usize, max_pixels: u64) -> AppResult<Accepted> {
    if bytes.len() > max_bytes {
        return Err(refuse(format!("文件不能超过{}", human_size(max_bytes as u64))));
    }
    let kind = sniff(&bytes)?;
    let (bytes, photo) = if kind.is_image() {
        let (stored, photo) = photo(kind, &bytes, max_pixels)?;
        (stored, Some(photo))
    } else {
        (bytes, None)
    };
    Ok(Accepted { kind, checksum: checksum(&bytes), bytes, photo })
}

/// Decodes, applies the EXIF orientation and encodes again (without any metadata).
///
/// The size is read from the header before anything is decoded (`ImageDecoder::dimensions`
/// of the `image` crate, already used here, reads only the header): a 510 KB PNG may
/// claim 16384 × 8000 pixels, 512 MB once decoded, and three of them at once took the
/// server to 1.3 GB. Above `max_pixels` the photo is refused; `max_alloc` follows it.
fn photo(kind: FileKind, bytes: &[u8], max_pixels: u64) -> AppResult<(Vec<u8>, Photo)> {
    let format = if kind == FileKind::Png { ImageFormat::Png } else { ImageFormat::Jpeg };
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    // Four bytes a pixel (RGBA, the widest the decoders here produce), room for a copy.
    limits.max_alloc = Some(MAX_DECODED_BYTES.min(max_pixels.saturating_mul(8)));
    reader.limits(limits);
    let unreadable = |e: image::ImageError| match e {
        image::ImageError::Limits(_) => refuse(format!("图片尺寸过大（每边不能超过{MAX_SIDE}像素）")),
        _ => refuse("图片已损坏，无法读取"),
    };
    let mut decoder = reader.into_decoder().map_err(unreadable)?;
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > max_pixels {
        let megapixels = max_pixels as f64 / 1e6;
        return Err(refuse(format!("图片像素过多（{width}×{height}），最多{megapixels:.0}百万像素，请缩小后再上传")));
    }
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(unreadable)?;
    image.apply_orientation(orientation);

    let mut stored = Vec::new();
    let encoded = if kind == FileKind::Png {
        // The PNG encoder writes pixels only: no eXIf, tEXt or iTXt chunks survive.
        image.write_to(&mut Cursor::new(&mut stored), ImageFormat::Png)
    } else {
        JpegEncoder::new_with_quality(&mut stored, 90).encode_image(&image.to_rgb8())
    };
    encoded.map_err(|e| AppError::internal(format!("encoding a photo: {e}")))?;

    let small = if image.width() > PREVIEW_WIDTH { image.thumbnail(PREVIEW_WIDTH, u32::MAX) } else { image.clone() };
    let mut preview = Vec::new();
    JpegEncoder::new_with_quality(&mut preview, 80)
        .encode_image(&on_white(&small))
        .map_err(|e| AppError::internal(format!("encoding a preview: {e}")))?;
    Ok((stored, Photo { width: image.width(), height: image.height(), preview }))
}

/// RGB for JPEG: transparent pixels of a PNG become white, as the app's background.
fn on_white(image: &DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.to_rgb8();
    }
    let rgba = image.to_rgba8();
    RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let blend = |c: u8| ((u16::from(c) * u16::from(a) + 255 * (255 - u16::from(a))) / 255) as u8;
        image::Rgb([blend(r), blend(g), blend(b)])
    })
}

/// `20MB`, `512KB`: for messages.
pub fn human_size(bytes: u64) -> String {
    const MB: u64 = 1024 * 1024;
    if bytes >= MB && bytes.is_multiple_of(MB) {
        format!("{}MB", bytes / MB)
    } else if bytes >= 1024 {
        format!("{}KB", bytes / 1024)
    } else {
        format!("{bytes}字节")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let img = DynamicImage::ImageRgba8(image::RgbaImage::from_pixel(width, height, image::Rgba([10, 20, 30, 0])));
        let mut out = Vec::new();
        let _ = img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png);
        out
    }

    #[test]
    fn types_come_from_the_bytes() {
        assert_eq!(sniff(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n").ok(), Some(FileKind::Pdf));
        assert_eq!(sniff(&png(2, 2)).ok(), Some(FileKind::Png));
        let mut elf = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0\x3e\0".to_vec();
        elf.resize(64, 0);
        assert!(matches!(sniff(&elf), Err(AppError::BadInput { message, .. }) if message.contains("不支持")));
        assert!(matches!(sniff(b"hello"), Err(AppError::BadInput { message, .. }) if message.contains("无法识别")));
        assert!(sniff(b"").is_err());
        let heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic";
        assert!(matches!(sniff(heic), Err(AppError::BadInput { message, .. }) if message.contains("HEIC")));
    }

    #[test]
    fn names_keep_their_words_and_get_the_right_extension() {
        assert_eq!(clean_name("C:\\fakepath\\现场照片.JPG", FileKind::Jpeg), "现场照片.jpg");
        assert_eq!(clean_name("../../etc/passwd", FileKind::Pdf), "passwd.pdf");
        assert_eq!(clean_name("报告", FileKind::Pdf), "报告.pdf");
        assert_eq!(clean_name("setup.exe", FileKind::Png), "setup.png");
        assert_eq!(clean_name("  ", FileKind::Docx), "附件.docx");
        assert_eq!(clean_name("a\u{0}b\r\n.xlsx", FileKind::Xlsx), "ab.xlsx");
        assert_eq!(clean_name("第1季度.会议纪要.pdf", FileKind::Pdf), "第1季度.会议纪要.pdf");
    }

    #[test]
    fn photos_over_the_pixel_limit_are_refused_before_decoding() {
        let refused = accept(png(200, 100), 1 << 20, 19_999);
        assert!(matches!(refused, Err(AppError::BadInput { message, .. }) if message.contains("像素")));
        assert!(accept(png(200, 100), 1 << 20, 20_000).is_ok());
    }

    #[test]
    fn photos_get_a_preview_and_transparency_turns_white() {
        let Ok(done) = accept(png(1000, 500), 1 << 20, 40_000_000) else { panic!("a PNG is accepted") };
        let Some(photo) = done.photo else { panic!("a PNG is a photo") };
        assert_eq!((photo.width, photo.height), (1000, 500));
        let Ok(preview) = image::load_from_memory(&photo.preview) else { panic!("the preview decodes") };
        assert_eq!((preview.width(), preview.height()), (PREVIEW_WIDTH, 240));
        assert_eq!(preview.to_rgb8().get_pixel(5, 5).0, [255, 255, 255]);
        assert_eq!(done.checksum, checksum(&done.bytes));
    }

    #[test]
    fn size_and_broken_photos_are_refused() {
        assert!(
            matches!(accept(png(2, 2), 10, 40_000_000), Err(AppError::BadInput { message, .. }) if message.contains("不能超过"))
        );
        let mut broken = png(50, 50);
        broken.truncate(60);
        assert!(
            matches!(accept(broken, 1 << 20, 40_000_000), Err(AppError::BadInput { message, .. }) if message.contains("损坏"))
        );
        assert_eq!(human_size(20 * 1024 * 1024), "20MB");
    }
}
