//! How long checking and re-encoding one phone photo takes, and the memory it peaks at:
//! `cargo run --release -p api --example photo_intake`. The figures are in bench/README.md.
use std::{io::Cursor, time::Instant};

use api::attachments::intake;
use image::{DynamicImage, ImageFormat, Rgb, RgbImage};

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 4032×3024 (12 MP, a phone's main camera), with detail so that JPEG has work to do.
    let photo = RgbImage::from_fn(4032, 3024, |x, y| {
        let n = x.wrapping_mul(2_654_435_761).wrapping_add(y.wrapping_mul(40_503)) >> 24;
        Rgb([(x % 256) as u8, (y % 256) as u8, (n & 0xff) as u8])
    });
    let mut jpeg = Vec::new();
    DynamicImage::ImageRgb8(photo).write_to(&mut Cursor::new(&mut jpeg), ImageFormat::Jpeg)?;
    println!("input: 4032×3024 JPEG, {:.1} MB", jpeg.len() as f64 / 1e6);
    let before = peak_rss_mb();

    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..7 {
        let start = Instant::now();
        let accepted = intake::accept(jpeg.clone(), 20 * 1024 * 1024, 40_000_000).map_err(|e| format!("{e:?}"))?;
        times.push(start.elapsed().as_secs_f64() * 1000.0);
        last = Some(accepted);
    }
    times.sort_by(f64::total_cmp);
    let accepted = last.ok_or("no run")?;
    let preview = accepted.photo.as_ref().map_or(0, |p| p.preview.len());
    println!(
        "accept (sniff, decode, orient, re-encode q90, 480px preview): median {:.0} ms, min {:.0} ms, max {:.0} ms",
        times[times.len() / 2],
        times[0],
        times[times.len() - 1]
    );
    println!("stored {:.1} MB, preview {:.0} KB", accepted.bytes.len() as f64 / 1e6, preview as f64 / 1024.0);
    println!("peak resident memory: {:.0} MB (before processing {:.0} MB)", peak_rss_mb(), before);
    Ok(())
}
