//! Turning data into HTML: [`templates`] (tera, the embedded defaults and repository overrides),
//! [`layout`] (the `base.html` skeletons), [`markdown`], [`html`] escaping, [`charts`] (SVG)
//! — the tools the render phase (`site::build::render`) uses; nothing here writes files.

pub mod charts;
pub mod html;
pub mod layout;
pub mod markdown;
pub mod templates;
