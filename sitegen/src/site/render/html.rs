//! HTML escaping: the one function templates, skeletons and hand-built fragments escape with.

/// Escapes text for HTML element content and quoted attributes. Unlike tera's default it
/// leaves `/` alone, so URLs in `href` stay readable.
pub fn escape_html(input: &str) -> String {
    let mut out = String::with_capacity(input.len() + input.len() / 8);
    for c in input.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}
