//! Progress bars for transfers, drawn on stderr only when it is a terminal.

use std::io::IsTerminal as _;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A bar for a transfer of `len` bytes (a spinner when the length is
/// unknown), labelled `label`; hidden when stderr is not a terminal, so
/// scripts and logs never see it.
pub fn transfer(len: Option<u64>, label: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(len, ProgressDrawTarget::stderr());
    let template = if len.is_some() {
        "{msg} [{bar:30}] {bytes}/{total_bytes} {percent}% {binary_bytes_per_sec} eta {eta}"
    } else {
        "{msg} {spinner} {bytes} {binary_bytes_per_sec}"
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(label.to_owned());
    bar
}
