//! Turning data into HTML: [`templates`] (tera, the embedded defaults and repository overrides),
//! [`format`] (how numbers, units and changes read), [`layout`] (the `base.html` skeletons),
//! [`markdown`], [`html`] escaping, [`charts`] (SVG) — the tools the render phase (`site::build::render`) uses; nothing here writes files.

pub mod charts;
pub mod format;
pub mod html;
pub mod layout;
pub mod markdown;
pub mod templates;
