//! Reading a small XML manifest (a `.nuspec`, a POM) the same safe way:
//! bounded in size, UTF-8 (a BOM allowed), no DTD, and no entity
//! references besides the five predefined ones and character references.
//! The manifest's own reader only sees elements and text.

use quick_xml::escape::resolve_xml_entity;
use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::Reader;

use crate::FormatError;

/// What reads a document's elements and text, in document order.
pub(crate) trait ElementSink {
    /// An element starts (`empty`: it is `<x/>`, no end follows).
    fn open(&mut self, element: &BytesStart<'_>, empty: bool) -> Result<(), FormatError>;
    /// The innermost open element ends.
    fn close(&mut self);
    /// Text inside the innermost open element, entities resolved.
    fn text(&mut self, text: &str) -> Result<(), FormatError>;
}

/// Feeds `bytes` to `sink`. `what` names the document in every refusal
/// ("the POM", "the .nuspec"); a document over `max_bytes` (a whole number
/// of MiB) is refused before it is read.
pub(crate) fn read_document(
    bytes: &[u8],
    what: &str,
    max_bytes: usize,
    sink: &mut impl ElementSink,
) -> Result<(), FormatError> {
    if bytes.len() > max_bytes {
        return Err(FormatError(format!(
            "{what} is larger than {} MiB",
            max_bytes / (1024 * 1024)
        )));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text =
        std::str::from_utf8(bytes).map_err(|e| FormatError(format!("{what} is not UTF-8 text: {e}")))?;
    let mut reader = Reader::from_str(text);
    reader.config_mut().enable_all_checks(true);
    loop {
        let event = reader.read_event().map_err(|e| {
            FormatError(format!(
                "{what} is not valid XML (at byte {}): {e}",
                reader.error_position()
            ))
        })?;
        match event {
            Event::Start(element) => sink.open(&element, false)?,
            Event::Empty(element) => sink.open(&element, true)?,
            Event::End(_) => sink.close(),
            Event::Text(text) => sink.text(&text.xml10_content())?,
            Event::CData(data) => sink.text(&data.xml10_content())?,
            Event::GeneralRef(reference) => sink.text(&resolve_reference(&reference, what)?)?,
            Event::DocType(_) => {
                return Err(FormatError(format!("{what} must not contain a DTD (<!DOCTYPE>)")))
            }
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => return Ok(()),
        }
    }
}

/// Resolves `&name;` to its text: a predefined entity or a character reference.
fn resolve_reference(reference: &BytesRef<'_>, what: &str) -> Result<String, FormatError> {
    let name: &str = reference;
    if reference.is_char_ref() {
        return match reference.resolve_char_ref() {
            Ok(Some(c)) => Ok(c.to_string()),
            Ok(None) | Err(_) => Err(FormatError(format!(
                "{what} is not valid XML: '&{};' is not a valid character reference",
                name.escape_debug()
            ))),
        };
    }
    resolve_xml_entity(name).map(str::to_owned).ok_or_else(|| {
        FormatError(format!(
            "{what} uses the undeclared entity '&{};'; only &amp; &lt; &gt; &quot; &apos; \
             and character references are allowed",
            name.escape_debug()
        ))
    })
}
