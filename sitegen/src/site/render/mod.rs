//! Turning data into HTML: [`templates`] (tera, the embedded defaults and repository overrides),
//! [`layout`] (the `base.html` skeletons), [`markdown`], [`html`] escaping, [`charts`] (SVG),
//! and the render phase itself ([`page`]), which renders every page job into the staging tree.

pub mod charts;
pub mod html;
pub mod layout;
pub mod markdown;
pub mod page;
pub mod templates;
