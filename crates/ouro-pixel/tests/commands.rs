//! The functions behind `ouro pixel ...`: validate, render to PNG (CPU and GPU), view.

mod common;

use ouro_pixel::commands::{self, Preview, Renderer, ViewTarget};
use ouro_pixel::{Image, PixelError};

#[test]
fn validate_render_and_view_a_program() -> Result<(), Box<dyn std::error::Error>> {
    let program = common::golden_dir().join("mockup.pixel.json");
    let golden = Image::read_png(&common::golden_dir().join("mockup.png"))?;
    assert!(commands::validate(&program)?.contains("\"boot screen mockup\": 96x64 canvas, 12 ops"));

    let out = std::env::temp_dir().join(format!("ouro-pixel-cmd-{}.png", std::process::id()));
    commands::render(&program, &out, Renderer::Cpu)?;
    assert_eq!(Image::read_png(&out)?, golden);
    if common::gpu().is_some() {
        commands::render(&program, &out, Renderer::Gpu)?;
        assert_eq!(Image::read_png(&out)?, golden);
    }
    std::fs::remove_file(&out)?;

    let ascii = commands::view(ViewTarget::File(&program), Preview::Ascii, 48)?;
    assert_eq!(
        ascii.lines().count(),
        1 + 16,
        "header and 32 pixel rows in 16 lines:\n{ascii}"
    );
    assert!(ascii.lines().skip(1).all(|l| l.chars().count() == 48));
    let listing = commands::view(ViewTarget::List(&common::golden_dir()), Preview::Ascii, 80)?;
    assert_eq!(listing.lines().count(), common::golden_programs().len());
    let latest = commands::view(
        ViewTarget::Latest(&common::golden_dir()),
        Preview::Truecolor,
        20,
    )?;
    assert!(latest.contains('\u{2580}'));
    Ok(())
}

#[test]
fn errors_name_the_file_and_the_place() {
    let dir = std::env::temp_dir().join(format!("ouro-pixel-bad-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let bad = dir.join("bad.pixel.json");
    let text = r#"{"kind":"pixel_program","version":1,"name":"b","canvas":{"width":4,"height":4},"ops":[{"op":"FILL","color":"nope"}]}"#;
    let _ = std::fs::write(&bad, text);
    match commands::validate(&bad) {
        Err(e @ PixelError::Invalid(_)) => {
            let msg = e.to_string();
            assert!(
                msg.contains("bad.pixel.json: ops[0].color: unknown palette colour \"nope\""),
                "{msg}"
            );
        }
        other => panic!("expected a validation error, got {other:?}"),
    }
    assert!(matches!(
        commands::validate(&dir.join("missing.pixel.json")),
        Err(PixelError::Io { .. })
    ));
    let _ = std::fs::remove_dir_all(&dir);
}
