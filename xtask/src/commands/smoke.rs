//! `cargo xtask smoke`: an image boots, answers with its version, and stops cleanly.

use anyhow::Result;

use crate::container::boot_test::SmokeFlags;
use crate::container::boot_test::{self, UnitTests, DEFAULT_TAG};
use crate::infra::engine::Engine;
use crate::outputs::unit_tests;

pub fn run(flags: SmokeFlags, ws: &crate::infra::workspace::Workspace) -> Result<()> {
    let checked = check(flags, ws);
    // smoke publishes nothing: an interrupt only ever leaves its container removed.
    if checked.is_err() && crate::infra::interrupt::requested() {
        return Err(crate::infra::interrupt::Interrupted {
            done: Some("the smoke test stopped; its container was removed".into()),
        }
        .into());
    }
    checked
}

fn check(flags: SmokeFlags, ws: &crate::infra::workspace::Workspace) -> Result<()> {
    let sh = flags.sh;
    let engine = Engine::ready(sh, flags.engine.as_deref(), "to run the image with", false)?;
    let tag = flags.tag.as_deref().unwrap_or(DEFAULT_TAG);
    let Some(category) = &flags.unit_tests else {
        return boot_test::check(&engine, tag, flags.timeout_secs, None, &flags.call);
    };
    let out = crate::plan::paths::out_or_default(flags.out.as_deref(), ws)?;
    // The image's id, to find its manifest (a missing image is smoke's to say).
    let image_id = engine.image_id(tag)?.unwrap_or_default();
    let place = unit_tests::Destination {
        out: &out,
        given: flags.out.is_some(),
        tag,
        image_id: &image_id,
    };
    let results = unit_tests::prepare(&place)?;
    let checked = boot_test::check(
        &engine,
        tag,
        flags.timeout_secs,
        Some(UnitTests {
            category,
            results: &results,
        }),
        &flags.call,
    );
    // Failed tests leave their results too: recorded, so the directory stays ours.
    if results.exists() {
        unit_tests::record(&place, &results)?;
    }
    checked
}
