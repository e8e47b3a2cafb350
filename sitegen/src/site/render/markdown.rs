//! Markdown to HTML with pulldown-cmark, in explicit event passes.
//!
//! Steps, in order:
//! 1. **parse** — the source into a vector of events (tables, footnotes, strikethrough on);
//! 2. **collect headings** — the text of every heading, in document order;
//! 3. **assign ids** — a slug per heading, made unique within the page (`intro`, `intro-1`, …);
//! 4. **rewrite** — heading ids and anchor links, internal `.md` links turned into page URLs, raw
//!    HTML turned into escaped text unless the caller allows it, and links and images whose
//!    URL has a scheme other than `http`, `https` or `mailto` ([`is_safe_url`]) reduced to
//!    their text;
//!    A paragraph of field lines (`Owner: …` / `ETA: …`, each line starting with a label and a
//!    colon, see [`is_field_label`]) keeps its line breaks;
//! 5. **emit** — the events to HTML, and the table of contents as data for templates.
//!
//! Cheap path first: a page without headings skips the heading passes.

use std::collections::HashSet;

use pulldown_cmark::{CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use serde::{Deserialize, Serialize};

/// How markdown is rendered.
#[derive(Debug, Clone, Serialize)]
pub struct RenderOptions {
    /// Pass raw HTML through unchanged (otherwise it is shown as escaped text).
    pub allow_html: bool,
    /// Prefix that makes a site-relative URL (`../` repeated to the site root), used when
    /// rewriting internal `.md` links. Empty for a page at the root.
    pub root_prefix: String,
    /// The level the document's highest headings are moved to (0 keeps levels as written). With
    /// 2, a page whose template shows the title as its one `<h1>` gets `#` headings as `<h2>`
    /// (and everything below shifted alike, capped at 6), while a document that starts at `##`
    /// is unchanged — heading levels stay in order either way.
    pub top_heading_level: u8,
    /// Repository-relative directory of the markdown file (`content/guides`, `adr`); relative
    /// `.md` links are resolved against it.
    pub source_dir: String,
    /// Repository-relative folder of the content pages (`[paths] content`): a `.md` link into
    /// it becomes the page's URL.
    pub content_dir: String,
    /// Repository-relative folder of the ADRs (`[paths] adr`): a `.md` link to a file in it
    /// becomes the ADR page's URL.
    pub adr_dir: String,
}

impl Default for RenderOptions {
    fn default() -> Self {
        let paths = crate::model::config::Paths::default();
        RenderOptions {
            allow_html: false,
            root_prefix: String::new(),
            top_heading_level: 0,
            source_dir: String::new(),
            content_dir: paths.content,
            adr_dir: paths.adr,
        }
    }
}

/// One entry of a table of contents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TocEntry {
    /// Heading level, 1–6.
    pub level: u8,
    /// The anchor id (without `#`).
    pub id: String,
    /// The heading text.
    pub title: String,
}

/// A rendered markdown document.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Rendered {
    /// The HTML body.
    pub html: String,
    /// The headings, in order, with their ids.
    pub toc: Vec<TocEntry>,
}

pub use crate::util::slug::heading_id as slugify;

/// URL schemes a published link or image may use; every other scheme (`javascript:`,
/// `vbscript:`, `data:`, `file:`, …) is refused. URLs without a scheme (relative ones) are
/// always allowed.
pub const SAFE_SCHEMES: &[&str] = &["http", "https", "mailto"];

/// Whether `url` is safe to publish as an `href` or `src`: a relative URL (`#frag`, `page`,
/// `../x`, `/abs`, `//host/x`, `?q`) or one whose scheme is in [`SAFE_SCHEMES`].
///
/// The scheme is read the way a browser reads it, so disguises do not get through: leading
/// spaces and control characters are skipped and tabs and newlines anywhere are dropped
/// (` javascript:`, `java\tscript:`), and the comparison ignores case (`JaVaScRiPt:`).
/// Character references are decoded before this is asked (pulldown-cmark decodes them in link
/// destinations, the link checker in attributes), so `&#106;avascript:` is `javascript:` here.
/// Anything before the first `:` that is not followed by `/`, `?` or `#` first counts as a
/// scheme, even when a browser would not parse it as one (`%6Aavascript:x`, `a b:c`): such a
/// URL is refused rather than guessed at; write `./a:b` for a relative path with a colon.
pub fn is_safe_url(url: &str) -> bool {
    let cleaned: String = url
        .trim_start_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    match cleaned.find([':', '/', '?', '#']) {
        Some(end) if cleaned[end..].starts_with(':') => {
            let scheme = cleaned[..end].to_ascii_lowercase();
            SAFE_SCHEMES.contains(&scheme.as_str())
        }
        _ => true,
    }
}

/// Rewrites a link target that names a markdown file of the site to its page URL. The target
/// is resolved against `source_dir` (the repository-relative directory of the file holding the
/// link): `content/guide.md#x` → `{root}guide/index.html#x`, `adr/0001-x.md` →
/// `{root}adr/adr-0001/index.html` (with the content and ADR folders of `options`). External
/// links, anchors, other files and markdown files outside those folders are left alone (the
/// link checker reports them if broken).
pub fn rewrite_link(dest: &str, options: &RenderOptions) -> Option<String> {
    let (root_prefix, source_dir) = (options.root_prefix.as_str(), options.source_dir.as_str());
    if dest.contains("://") || dest.starts_with("mailto:") || dest.starts_with('#') {
        return None;
    }
    let (path, anchor) = match dest.split_once('#') {
        Some((p, a)) => (p, Some(a)),
        None => (dest, None),
    };
    let stem = path.strip_suffix(".md")?;
    let mut parts: Vec<&str> = if stem.starts_with('/') {
        Vec::new()
    } else {
        source_dir.split('/').filter(|s| !s.is_empty()).collect()
    };
    for segment in stem.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    let under = |dir: &str| -> Option<usize> {
        let dir: Vec<&str> = dir.split('/').filter(|s| !s.is_empty()).collect();
        parts.starts_with(&dir).then_some(dir.len())
    };
    let url_path = match (under(&options.adr_dir), under(&options.content_dir)) {
        (Some(n), _) if parts.len() == n + 1 => {
            let number = parts
                .get(n)?
                .get(..4)
                .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))?;
            format!("adr/adr-{number}")
        }
        (_, Some(n)) if parts.len() > n => parts.get(n..)?.join("/").to_ascii_lowercase(),
        _ => return None,
    };
    let mut url = format!("{root_prefix}{url_path}/index.html");
    if let Some(anchor) = anchor {
        url.push('#');
        url.push_str(anchor);
    }
    Some(url)
}

/// Renders `source` to HTML with a table of contents.
pub fn render(source: &str, options: &RenderOptions) -> Rendered {
    let mut opts = Options::empty();
    opts.insert(Options::ENABLE_TABLES);
    opts.insert(Options::ENABLE_FOOTNOTES);
    opts.insert(Options::ENABLE_STRIKETHROUGH);
    opts.insert(Options::ENABLE_HEADING_ATTRIBUTES);
    // Pass 1: parse.
    let mut events: Vec<Event<'_>> = Parser::new_ext(source, opts).collect();

    // Pass 2 + 3: collect headings and assign unique ids (skipped when there are none).
    let mut toc = Vec::new();
    let mut offset = 0;
    if source.contains('#') || source.contains("\n=") || source.contains("\n-") {
        let top = events
            .iter()
            .filter_map(|e| match e {
                Event::Start(Tag::Heading { level, .. }) => Some(heading_level_number(*level)),
                _ => None,
            })
            .min();
        if let Some(top) = top {
            offset = options.top_heading_level.saturating_sub(top);
        }
        toc = assign_heading_ids(&mut events, offset);
    }

    // Pass 4: rewrite links and raw HTML, shift heading levels.
    for event in events.iter_mut() {
        match event {
            Event::Start(Tag::Heading { level, .. }) if offset > 0 => {
                *level = shift_level(*level, offset);
            }
            Event::End(TagEnd::Heading(level)) if offset > 0 => {
                *level = shift_level(*level, offset);
            }
            Event::Start(Tag::Link { dest_url, .. }) => {
                if let Some(url) = rewrite_link(dest_url, options) {
                    *dest_url = CowStr::from(url);
                }
            }
            Event::Html(raw) | Event::InlineHtml(raw) if !options.allow_html => {
                *event = Event::Text(raw.clone());
            }
            _ => {}
        }
    }
    drop_unsafe_links(&mut events);
    break_field_lines(&mut events);

    // Pass 5: emit, with a self-link at the end of every heading (added after the raw HTML
    // pass, so it is the only markup not escaped).
    let mut html = String::with_capacity(source.len() * 3 / 2);
    let mut anchors = toc.iter();
    let events = events.into_iter().flat_map(|event| {
        let anchor = match &event {
            Event::End(TagEnd::Heading(_)) => anchors.next().map(|entry| {
                Event::InlineHtml(CowStr::from(format!(
                    "<a class=\"heading-anchor\" href=\"#{}\" aria-label=\"Link to this section\">#</a>",
                    entry.id
                )))
            }),
            _ => None,
        };
        anchor.into_iter().chain(std::iter::once(event))
    });
    pulldown_cmark::html::push_html(&mut html, events);
    Rendered { html, toc }
}

/// Whether `text` starts a field line: a label of 1 to 4 words (the first capitalised, 40
/// characters at most) and a colon, then a space or the end (`ETA: 2 days`, `Acceptance
/// Criteria:`).
pub fn is_field_label(text: &str) -> bool {
    let Some((label, rest)) = text.split_once(':') else {
        return false;
    };
    let words: Vec<&str> = label.split(' ').collect();
    label.len() <= 40
        && (rest.is_empty() || rest.starts_with(' '))
        && label.chars().next().is_some_and(char::is_uppercase)
        && words.len() <= 4
        && words.iter().all(|w| {
            !w.is_empty()
                && w.chars()
                    .all(|c| c.is_alphanumeric() || matches!(c, '-' | '/' | '&' | '(' | ')'))
        })
}

/// In a paragraph whose first line is a field line, a line break before another field line
/// is kept (a hard break): `Owner: …⏎Dependencies: …⏎ETA: …` stays three lines rather than
/// running together as CommonMark joins soft-wrapped lines. Prose is unchanged.
fn break_field_lines(events: &mut [Event<'_>]) {
    let mut in_fields = false;
    for i in 0..events.len() {
        match &events[i] {
            Event::Start(Tag::Paragraph) => {
                in_fields = matches!(events.get(i + 1), Some(Event::Text(t)) if is_field_label(t));
            }
            Event::End(TagEnd::Paragraph) => in_fields = false,
            Event::SoftBreak if in_fields => {
                if matches!(events.get(i + 1), Some(Event::Text(t)) if is_field_label(t)) {
                    events[i] = Event::HardBreak;
                }
            }
            _ => {}
        }
    }
}

/// Removes the start and end of every link and image whose URL [`is_safe_url`] refuses, so
/// what they contain — a link's label, an image's alt text — stays as plain text.
fn drop_unsafe_links(events: &mut Vec<Event<'_>>) {
    let unsafe_url = |e: &Event<'_>| match e {
        Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) => {
            !is_safe_url(dest_url)
        }
        _ => false,
    };
    if !events.iter().any(unsafe_url) {
        return;
    }
    // Links and images nest (an image inside a link); each end closes the innermost start.
    let mut open: Vec<bool> = Vec::new();
    events.retain(|e| match e {
        Event::Start(Tag::Link { .. } | Tag::Image { .. }) => {
            let refused = unsafe_url(e);
            open.push(refused);
            !refused
        }
        Event::End(TagEnd::Link | TagEnd::Image) => !open.pop().unwrap_or(false),
        _ => true,
    });
}

/// Gives every heading a unique id (keeping explicit `{#id}` ones) and returns the TOC.
fn assign_heading_ids(events: &mut [Event<'_>], offset: u8) -> Vec<TocEntry> {
    // Collect: (index of Start event, level, explicit id, text).
    let mut headings: Vec<(usize, HeadingLevel, Option<String>, String)> = Vec::new();
    let mut current: Option<(usize, HeadingLevel, Option<String>, String)> = None;
    for (i, event) in events.iter().enumerate() {
        match event {
            Event::Start(Tag::Heading { level, id, .. }) => {
                current = Some((i, *level, id.as_ref().map(|s| s.to_string()), String::new()));
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some((_, _, _, text)) = current.as_mut() {
                    text.push_str(t);
                }
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some(h) = current.take() {
                    headings.push(h);
                }
            }
            _ => {}
        }
    }
    // Assign: explicit ids are reserved first so generated ones never collide with them.
    let mut used: HashSet<String> = headings
        .iter()
        .filter_map(|(_, _, explicit, _)| explicit.clone())
        .collect();
    let mut toc = Vec::with_capacity(headings.len());
    for (index, level, explicit, text) in headings {
        let id = match explicit {
            Some(id) => id,
            None => {
                let base = slugify(&text);
                let mut candidate = base.clone();
                let mut n = 1;
                while used.contains(&candidate) {
                    candidate = format!("{base}-{n}");
                    n += 1;
                }
                used.insert(candidate.clone());
                candidate
            }
        };
        if let Some(Event::Start(Tag::Heading { id: slot, .. })) = events.get_mut(index) {
            *slot = Some(CowStr::from(id.clone()));
        }
        toc.push(TocEntry {
            level: heading_level_number(level).saturating_add(offset).min(6),
            id,
            title: text,
        });
    }
    toc
}

fn shift_level(level: HeadingLevel, by: u8) -> HeadingLevel {
    match heading_level_number(level).saturating_add(by) {
        1 => HeadingLevel::H1,
        2 => HeadingLevel::H2,
        3 => HeadingLevel::H3,
        4 => HeadingLevel::H4,
        5 => HeadingLevel::H5,
        _ => HeadingLevel::H6,
    }
}

fn heading_level_number(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn html(src: &str) -> String {
        render(src, &RenderOptions::default()).html
    }

    /// Markdown is parsed and rendered from an event stream, without recursion: pathological
    /// nesting in a content page renders (slowly at worst), it does not overflow the stack.
    #[test]
    fn pathological_nesting_renders_on_a_small_stack() {
        let quotes = format!("{}deep", "> ".repeat(50_000));
        let lists = (0..5_000)
            .map(|i| format!("{}- item {i}\n", "  ".repeat(i)))
            .collect::<String>();
        let brackets = format!("{}x{}", "[".repeat(50_000), "](u)".repeat(50_000));
        let out = std::thread::Builder::new()
            .stack_size(512 << 10)
            .spawn(move || [html(&quotes), html(&lists), html(&brackets)])
            .expect("spawn")
            .join()
            .expect("no stack overflow");
        assert!(out[0].contains("deep") && out[0].matches("<blockquote>").count() > 100);
        assert!(out[1].contains("item 4999"));
        assert!(out[2].contains('x'));
    }

    #[test]
    fn headings_get_unique_ids_and_toc() {
        let r = render(
            "# Intro\n\n## Intro\n\n## A `code` b!\n",
            &RenderOptions::default(),
        );
        assert!(r.html.contains(r#"<h1 id="intro">"#), "{}", r.html);
        assert!(
            r.html.contains(r##"<a class="heading-anchor" href="#intro-1" aria-label="Link to this section">#</a></h2>"##),
            "{}",
            r.html
        );
        assert!(r.html.contains(r#"<h2 id="intro-1">"#), "{}", r.html);
        assert!(r.html.contains(r#"<h2 id="a-code-b">"#), "{}", r.html);
        assert_eq!(r.toc.len(), 3);
        assert_eq!(r.toc[1].id, "intro-1");
        assert_eq!(r.toc[2].title, "A code b!");
    }

    #[test]
    fn top_heading_level_shifts_only_documents_that_start_higher() {
        let opts = RenderOptions {
            top_heading_level: 2,
            ..Default::default()
        };
        let r = render("# A\n\n## B\n\n###### F\n", &opts);
        assert!(
            r.html.contains(r#"<h2 id="a">"#) && r.html.contains("</h2>"),
            "{}",
            r.html
        );
        assert!(r.html.contains(r#"<h3 id="b">"#), "{}", r.html);
        assert!(r.html.contains(r#"<h6 id="f">"#), "{}", r.html);
        assert!(!r.html.contains("<h1"), "{}", r.html);
        assert_eq!((r.toc[0].level, r.toc[2].level), (2, 6));
        let r = render("## B\n\n### C\n", &opts);
        assert!(r.html.contains(r#"<h2 id="b">"#) && r.html.contains(r#"<h3 id="c">"#));
    }

    #[test]
    fn generated_id_does_not_collide_with_explicit_one() {
        let r = render("# Setup\n\n# Other {#setup}\n", &RenderOptions::default());
        assert_eq!(r.toc[0].id, "setup-1");
        assert_eq!(r.toc[1].id, "setup");
    }

    #[test]
    fn tables_footnotes_strikethrough() {
        let out = html("|a|b|\n|-|-|\n|1|2|\n\nx[^n] ~~old~~\n\n[^n]: note\n");
        assert!(out.contains("<table>"), "{out}");
        assert!(out.contains("<del>old</del>"), "{out}");
        assert!(out.contains("footnote-definition"), "{out}");
    }

    #[test]
    fn raw_html_is_escaped_unless_allowed() {
        let src = "<script>alert(1)</script>\n\ntext <b>x</b>\n";
        let out = html(src);
        assert!(!out.contains("<script>"), "{out}");
        assert!(out.contains("&lt;script&gt;"), "{out}");
        assert!(out.contains("&lt;b&gt;"), "{out}");
        let allowed = render(
            src,
            &RenderOptions {
                allow_html: true,
                ..Default::default()
            },
        );
        assert!(allowed.html.contains("<script>"));
    }

    #[test]
    fn internal_md_links_become_page_urls() {
        let r = render(
            "[g](guide.md#part) [a](../../adr/0003-x.md) [e](https://x.org/a.md) [f](pic.png) [o](../../README.md) [up](../intro.md)",
            &RenderOptions {
                root_prefix: "../../".into(),
                source_dir: "content/guides".into(),
                ..Default::default()
            },
        );
        assert!(
            r.html
                .contains(r#"href="../../guides/guide/index.html#part""#),
            "{}",
            r.html
        );
        assert!(
            r.html.contains(r#"href="../../adr/adr-0003/index.html""#),
            "{}",
            r.html
        );
        assert!(r.html.contains(r#"href="../../README.md""#), "{}", r.html);
        assert!(
            r.html.contains(r#"href="../../intro/index.html""#),
            "{}",
            r.html
        );
        let sibling = rewrite_link(
            "0002-old.md",
            &RenderOptions {
                root_prefix: "../../".into(),
                source_dir: "adr".into(),
                ..RenderOptions::default()
            },
        );
        assert_eq!(sibling.as_deref(), Some("../../adr/adr-0002/index.html"));
        assert!(
            r.html.contains(r#"href="https://x.org/a.md""#),
            "{}",
            r.html
        );
        assert!(r.html.contains(r#"href="pic.png""#), "{}", r.html);
    }

    #[test]
    fn unsafe_schemes_are_refused_in_every_disguise() {
        for bad in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            " javascript:alert(1)",
            "\u{1}\u{8}javascript:alert(1)",
            "java\tscript:alert(1)",
            "java\nscript:alert(1)",
            "vbscript:msgbox(1)",
            "data:text/html;base64,PHNjcmlwdD4=",
            "DATA:image/svg+xml,<svg/onload=alert(1)>",
            "file:///etc/passwd",
            "%6Aavascript:alert(1)",
            "javascript:/x",
        ] {
            assert!(!is_safe_url(bad), "{bad:?} passed");
        }
        for good in [
            "https://example.org/a",
            "HTTP://example.org",
            "mailto:ops@example.org",
            "#frag",
            "page",
            "../x/index.html",
            "/abs/path",
            "//cdn.example.org/x.png",
            "?q=a:b",
            "a/b:c",
            "",
        ] {
            assert!(is_safe_url(good), "{good:?} refused");
        }
    }

    #[test]
    fn links_and_images_with_unsafe_urls_render_as_their_text() {
        let src = "[inline](javascript:alert(1)) [ref][r] <javascript:alert(2)> \
                   [ent](&#106;avascript:alert(3)) [tab](<java\tscript:alert(4)>) \
                   [case](JaVaScRiPt:alert(5)) [vb](vbscript:x) [file](file:///etc/passwd) \
                   ![pic](data:image/svg+xml;base64,PHN2Zz4=) ![js](javascript:alert(6)) \
                   [![inner](ok.png)](data:text/html,x) [fine](https://example.org/) \
                   <mailto:ops@example.org> [up](../x.html)\n\n[r]: javascript:alert(7)\n";
        let out = html(src);
        for bad in ["javascript:", "vbscript:", "data:", "file:"] {
            for attr in ["href=\"", "src=\""] {
                let lowered = out.to_ascii_lowercase();
                assert!(
                    !lowered.contains(&format!("{attr}{bad}")),
                    "{attr}{bad} in {out}"
                );
            }
        }
        assert!(!out.to_ascii_lowercase().contains("href=\"java"), "{out}");
        for label in [
            "inline",
            "ref",
            "javascript:alert(2)",
            "ent",
            "case",
            "pic",
            "js",
        ] {
            assert!(out.contains(label), "{label} missing from {out}");
        }
        assert!(out.contains(r#"<img src="ok.png" alt="inner" />"#), "{out}");
        assert!(out.contains(r#"href="https://example.org/""#), "{out}");
        assert!(out.contains(r#"href="mailto:ops@example.org""#), "{out}");
        assert!(out.contains(r#"href="../x.html""#), "{out}");
    }

    #[test]
    fn field_lines_keep_their_breaks_and_prose_does_not() {
        let out = html("Owner: PM\nDependencies: Phase 0\nETA: 0.5 day\nAcceptance Criteria:\n");
        assert_eq!(
            out,
            "<p>Owner: PM<br />\nDependencies: Phase 0<br />\nETA: 0.5 day<br />\nAcceptance Criteria:</p>\n"
        );
        // Soft-wrapped prose, even with a colon on a later line, still joins.
        let prose = html("The plan is\nNote: wrapped here\n");
        assert!(!prose.contains("<br"), "{prose}");
        // A field paragraph's wrapped value continues its line.
        let wrapped = html("Owner: PM and\nthe coordinator\nETA: 1 day\n");
        assert_eq!(
            wrapped,
            "<p>Owner: PM and\nthe coordinator<br />\nETA: 1 day</p>\n"
        );
        assert!(is_field_label("Acceptance Criteria:"));
        assert!(!is_field_label("see https://x"));
        assert!(!is_field_label("lower: case"));
        assert!(!is_field_label("A very long sentence that goes on: and on"));
    }

    #[test]
    fn slugify_is_never_empty() {
        assert_eq!(
            slugify("Phase 0 — Discover & Baseline"),
            "phase-0-discover-baseline"
        );
        assert_eq!(slugify("!!!"), "section");
    }
}
