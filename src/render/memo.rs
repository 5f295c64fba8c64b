//! What rendering keeps between the builds of the live preview, each part with what it was made from, so that a
//! build reuses it only while that is the same (memoisation, not invalidation). Pure: values in memory.

use std::sync::{Arc, Mutex};

use super::context::Crumbs;
use super::pages::{pages, Pages};
use super::pattern::Pattern;
use crate::lock;
use crate::memo::Kept;
use crate::site::{Model, Site};

/// What rendering keeps between the builds of the live preview: the patterns and breadcrumbs of the last build
/// (see [`super::Prepared::with_patterns`]) and its page index ([`RenderMemo::pages`]), each with what it was made from.
#[derive(Default)]
pub struct RenderMemo {
    pub(super) patterns: Kept<Patterns>,
    /// The breadcrumbs, with the site model and the site title they were made from.
    pub(super) crumbs: Mutex<Option<KeptCrumbs>>,
    /// The page index, with the site model it was listed from (it depends on nothing else).
    pub(super) pages: Mutex<Option<(Arc<Model>, Arc<Pages>)>>,
}

impl RenderMemo {
    /// [`pages`] of `site` by the path of their files, kept while the site model is the same.
    pub fn pages(&self, site: &Site) -> Arc<Pages> {
        let mut kept = lock(&self.pages);
        if let Some((_, pages)) = kept.as_ref().filter(|(model, _)| Arc::ptr_eq(model, site.model())) {
            return pages.clone();
        }
        let pages: Arc<Pages> = Arc::new(pages(site).into_iter().collect());
        *kept = Some((site.model().clone(), pages.clone()));
        pages
    }
}

/// (the site model, the site's title, the breadcrumbs made of them)
pub(super) type KeptCrumbs = (Arc<Model>, String, Arc<Crumbs>);

/// (the alias pattern, the note patterns)
pub(super) type Patterns = (Option<Arc<Pattern>>, Option<Arc<Vec<Pattern>>>);
