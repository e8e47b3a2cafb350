//! Byte-layout strips: one on-disk structure drawn as a horizontal strip of its fields by
//! offset, each field's width proportional to its size in bytes.
//!
//! Steps: sort the fields by offset → lay them out ([`cells`]): bytes no field covers become
//! gap cells, fields without a size (variable length) are drawn after the fixed part at a fixed
//! width with a dashed edge → draw ([`strip_svg`]): a rectangle, a label when it fits and a
//! `<title>` (name, byte range, encoding, meaning) per cell, the start offset under each cell
//! where there is room and the size at the right edge. The SVG carries its own colours with a
//! `prefers-color-scheme: dark` variant, so it reads in both themes wherever it is inlined.

use std::fmt::Write;

use super::escape;

/// Width of the drawing (viewBox units).
pub const WIDTH: f64 = 720.0;

/// Width of each variable-length cell, drawn after the fixed part.
pub const VARIABLE_WIDTH: f64 = 72.0;

/// Approximate width of one label character at the label font size.
const CHAR_WIDTH: f64 = 6.6;

/// Narrowest gap between two offset labels under the strip.
const OFFSET_SPACING: f64 = 26.0;

const HEIGHT: f64 = 60.0;
const CELL_TOP: f64 = 4.0;
const CELL_HEIGHT: f64 = 32.0;

/// A field of a structure as the catalog describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct StripField {
    /// Field name.
    pub name: String,
    /// First byte, from the start of the structure.
    pub offset: u64,
    /// Bytes; `None` for a variable-length field.
    pub size: Option<u64>,
    /// How the bytes encode the value (`u32 le`).
    pub encoding: String,
    /// What the field means.
    pub description: String,
}

/// What a cell of the strip shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellKind {
    /// A described field.
    Field,
    /// Reserved bytes (encoding `zeros` or a name starting with `reserved`).
    Reserved,
    /// Bytes inside the structure that no field covers.
    Gap,
    /// A variable-length field.
    Variable,
}

/// One laid-out cell.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// Left edge (viewBox units).
    pub x: f64,
    /// Width (viewBox units).
    pub width: f64,
    /// First byte.
    pub offset: u64,
    /// Bytes; `None` for a variable-length field.
    pub size: Option<u64>,
    /// Text drawn inside the cell when it fits.
    pub label: String,
    /// The cell's `<title>`: name, byte range, encoding and meaning.
    pub title: String,
    /// What the cell shows.
    pub kind: CellKind,
}

fn bytes(n: u64) -> String {
    if n == 1 {
        "1 byte".into()
    } else {
        format!("{n} bytes")
    }
}

/// Lays out a structure of `size` bytes: fixed fields at `offset × scale`, where the fixed part
/// (`size`, or the end of the last field when that is further) fills [`WIDTH`] less one
/// [`VARIABLE_WIDTH`] per variable-length field; those follow in offset order.
pub fn cells(size: u64, fields: &[StripField]) -> Vec<Cell> {
    let mut sorted: Vec<&StripField> = fields.iter().collect();
    sorted.sort_by_key(|f| f.offset);
    let (fixed, variable): (Vec<&StripField>, Vec<&StripField>) =
        sorted.into_iter().partition(|f| f.size.is_some());
    let end = fixed
        .iter()
        .map(|f| f.offset + f.size.unwrap_or(0))
        .max()
        .unwrap_or(0)
        .max(size);
    let fixed_width = WIDTH - VARIABLE_WIDTH * variable.len() as f64;
    let scale = if end == 0 {
        0.0
    } else {
        fixed_width / end as f64
    };
    let mut out = Vec::new();
    let mut cursor = 0u64;
    let gap = |from: u64, to: u64| Cell {
        x: from as f64 * scale,
        width: (to - from) as f64 * scale,
        offset: from,
        size: Some(to - from),
        label: "gap".into(),
        title: format!("bytes {from}..{to} ({}): not described", bytes(to - from)),
        kind: CellKind::Gap,
    };
    for f in fixed {
        let n = f.size.unwrap_or(0);
        if f.offset > cursor {
            out.push(gap(cursor, f.offset));
        }
        let reserved = f.encoding == "zeros" || f.name.starts_with("reserved");
        out.push(Cell {
            x: f.offset as f64 * scale,
            width: n as f64 * scale,
            offset: f.offset,
            size: Some(n),
            label: f.name.clone(),
            title: format!(
                "{}: bytes {}..{} ({}), {} — {}",
                f.name,
                f.offset,
                f.offset + n,
                bytes(n),
                f.encoding,
                f.description
            ),
            kind: if reserved {
                CellKind::Reserved
            } else {
                CellKind::Field
            },
        });
        cursor = cursor.max(f.offset + n);
    }
    if cursor < end {
        out.push(gap(cursor, end));
    }
    for (i, f) in variable.iter().enumerate() {
        out.push(Cell {
            x: fixed_width + VARIABLE_WIDTH * i as f64,
            width: VARIABLE_WIDTH,
            offset: f.offset,
            size: None,
            label: format!("{} …", f.name),
            title: format!(
                "{}: from byte {}, variable length, {} — {}",
                f.name, f.offset, f.encoding, f.description
            ),
            kind: CellKind::Variable,
        });
    }
    out
}

const STYLE: &str = ".bs-f{fill:#ddf0ff;stroke:#0b5cad}.bs-f2{fill:#e6f6ea;stroke:#116329}\
.bs-r{fill:#eaeef2;stroke:#8c959f}.bs-g{fill:#fff;stroke:#a40e26;stroke-dasharray:3 2}\
.bs-v{fill:#fff4ce;stroke:#7d4e00;stroke-dasharray:5 3}\
.bs-t{font:11px system-ui,sans-serif;fill:#1b1f24}.bs-o{font:10px ui-monospace,monospace;fill:#57606a}\
@media (prefers-color-scheme:dark){.bs-f{fill:#0c2a47;stroke:#6cb6ff}.bs-f2{fill:#0f2e1a;stroke:#56d364}\
.bs-r{fill:#222a33;stroke:#9da7b3}.bs-g{fill:#0f1419;stroke:#ff7b72}.bs-v{fill:#2e2300;stroke:#e3b341}\
.bs-t{fill:#e6edf3}.bs-o{fill:#9da7b3}}";

/// `label` as it fits in a cell `width` wide: whole, or its start and `…` when at least three
/// characters and the ellipsis fit, else nothing (the cell's `<title>` still names it).
pub fn fitted(label: &str, width: f64) -> Option<String> {
    let room = ((width - 6.0) / CHAR_WIDTH + 1e-9).floor();
    let n = label.chars().count();
    if room >= n as f64 {
        Some(label.to_string())
    } else if room >= 4.0 {
        Some(label.chars().take(room as usize - 1).chain(['…']).collect())
    } else {
        None
    }
}

/// The strip of a structure named `name` of `size` bytes as an inline SVG (`role="img"`, a
/// `<title>` for the whole and one per cell).
pub fn strip_svg(name: &str, size: u64, fields: &[StripField]) -> String {
    let cells = cells(size, fields);
    let mut svg = String::new();
    let summary = format!(
        "Byte layout of {name}: {}, {} fields",
        bytes(size),
        fields.len()
    );
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"byte-strip\" viewBox=\"-1 0 {} {HEIGHT}\" \
         role=\"img\" aria-label=\"{s}\"><title>{s}</title><style>{STYLE}</style>",
        WIDTH + 2.0,
        s = escape(&summary)
    );
    let mut last_offset_label = f64::NEG_INFINITY;
    let mut field_index = 0;
    for c in &cells {
        let class = match c.kind {
            CellKind::Field => {
                field_index += 1;
                if field_index % 2 == 0 {
                    "bs-f2"
                } else {
                    "bs-f"
                }
            }
            CellKind::Reserved => "bs-r",
            CellKind::Gap => "bs-g",
            CellKind::Variable => "bs-v",
        };
        let _ = write!(
            svg,
            "<g><title>{}</title><rect class=\"{class}\" x=\"{:.2}\" y=\"{CELL_TOP}\" width=\"{:.2}\" height=\"{CELL_HEIGHT}\"/>",
            escape(&c.title),
            c.x,
            c.width.max(0.5)
        );
        if let Some(label) = fitted(&c.label, c.width) {
            let _ = write!(
                svg,
                "<text class=\"bs-t\" x=\"{:.2}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                c.x + c.width / 2.0,
                CELL_TOP + CELL_HEIGHT / 2.0 + 4.0,
                escape(&label)
            );
        }
        svg.push_str("</g>");
        if c.x - last_offset_label >= OFFSET_SPACING {
            let _ = write!(
                svg,
                "<text class=\"bs-o\" x=\"{:.2}\" y=\"{}\">{}</text>",
                c.x + 1.0,
                CELL_TOP + CELL_HEIGHT + 14.0,
                c.offset
            );
            last_offset_label = c.x;
        }
    }
    let fixed_end = cells
        .iter()
        .filter(|c| c.kind != CellKind::Variable)
        .map(|c| c.x + c.width)
        .fold(0.0, f64::max);
    if fixed_end - last_offset_label >= OFFSET_SPACING * 1.5 {
        let end = cells
            .iter()
            .filter_map(|c| c.size.map(|n| c.offset + n))
            .max()
            .unwrap_or(size)
            .max(size);
        let _ = write!(
            svg,
            "<text class=\"bs-o\" x=\"{fixed_end:.2}\" y=\"{}\" text-anchor=\"end\">{end}</text>",
            CELL_TOP + CELL_HEIGHT + 14.0
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(name: &str, offset: u64, size: Option<u64>) -> StripField {
        StripField {
            name: name.into(),
            offset,
            size,
            encoding: "u32 le".into(),
            description: "d".into(),
        }
    }

    #[test]
    fn offsets_map_to_proportional_x_and_widths() {
        let c = cells(
            64,
            &[
                field("crc", 60, Some(4)),
                field("magic", 0, Some(8)),
                field("v", 8, Some(4)),
            ],
        );
        // Sorted by offset, with the undescribed bytes 12..60 as a gap.
        let names: Vec<&str> = c.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(names, ["magic", "v", "gap", "crc"]);
        let scale = WIDTH / 64.0;
        assert_eq!(c[0].x, 0.0);
        assert_eq!(c[0].width, 8.0 * scale);
        assert_eq!(c[1].x, 8.0 * scale);
        assert_eq!(c[2].kind, CellKind::Gap);
        assert_eq!((c[2].offset, c[2].size), (12, Some(48)));
        assert_eq!(c[3].x, 60.0 * scale);
        assert!(
            (c[3].x + c[3].width - WIDTH).abs() < 1e-9,
            "fills the width"
        );
    }

    #[test]
    fn variable_fields_follow_the_fixed_part_and_a_trailing_gap_is_shown() {
        let c = cells(20, &[field("len", 0, Some(4)), field("payload", 17, None)]);
        let fixed = WIDTH - VARIABLE_WIDTH;
        assert_eq!(c[0].width, 4.0 * fixed / 20.0);
        assert_eq!(c[1].kind, CellKind::Gap);
        assert_eq!((c[1].offset, c[1].size), (4, Some(16)));
        let v = &c[2];
        assert_eq!(v.kind, CellKind::Variable);
        assert_eq!((v.x, v.width, v.size), (fixed, VARIABLE_WIDTH, None));
        assert!(v.title.contains("variable length"));
    }

    #[test]
    fn fields_past_the_declared_size_widen_the_scale_and_reserved_is_marked() {
        let mut r = field("reserved", 4, Some(4));
        r.encoding = "zeros".into();
        let c = cells(4, &[field("a", 0, Some(4)), r]);
        assert_eq!(c[0].width, WIDTH / 2.0);
        assert_eq!(c[1].kind, CellKind::Reserved);
        assert!(cells(0, &[]).is_empty());
    }

    #[test]
    fn labels_fit_whole_shortened_or_not_at_all() {
        let w = |chars: f64| chars * CHAR_WIDTH + 6.0;
        assert_eq!(fitted("magic", w(5.0)).as_deref(), Some("magic"));
        assert_eq!(fitted("format_version", w(6.0)).as_deref(), Some("forma…"));
        assert_eq!(fitted("format_version", w(4.0)).as_deref(), Some("for…"));
        assert_eq!(fitted("format_version", w(3.0)), None);
    }

    #[test]
    fn svg_has_a_title_per_cell_labels_that_fit_and_escapes_text() {
        let mut f = field("<k>", 0, Some(60));
        f.description = "a & b".into();
        let svg = strip_svg("hdr", 64, &[f, field("tiny_with_long_name", 60, Some(4))]);
        assert_eq!(svg.matches("<title>").count(), 1 + 2);
        assert!(svg.contains("&lt;k&gt;: bytes 0..60 (60 bytes), u32 le — a &amp; b"));
        assert!(svg.contains(">&lt;k&gt;</text>"), "wide cell is labelled");
        assert!(
            svg.contains(">tiny…</text>"),
            "a label that does not fit is shortened"
        );
        assert!(svg.contains("prefers-color-scheme:dark"));
        assert!(svg.contains(">0</text>") && svg.contains(">64</text>"));
    }
}
