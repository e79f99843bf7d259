// The product page as one HTML string: no template engine, everything from outside escaped.
import type { ProductView, ReviewItem } from './product.js';

const STYLE = `
body{font-family:system-ui,sans-serif;margin:0;color:#222;background:#fafafa}
header,footer{background:#263238;color:#eceff1;padding:.6rem 1.5rem;display:flex;justify-content:space-between;align-items:center;gap:1rem}
header a,footer a{color:#80cbc4}main{max-width:48rem;margin:1.5rem auto;padding:0 1.5rem}
.badge{display:inline-block;font-size:.8rem;padding:.1rem .5rem;border-radius:1rem;background:#00796b;color:#fff;vertical-align:middle}
blockquote{background:#fff;border-left:4px solid #80cbc4;margin:1rem 0;padding:.6rem 1rem}
.stars{font-size:1.2rem;letter-spacing:.1rem}.error{color:#b71c1c;font-weight:600}.detail{color:#666;font-size:.85rem}
form{display:inline}input{width:7rem}code{font-size:.85rem}`;

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function renderProductPage(view: ProductView): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(view.title)} · Skiff Bookinfo</title><style>${STYLE}</style></head>
<body>
<header><strong>Skiff Bookinfo</strong><span data-testid="user">${renderUser(view.user)}</span></header>
<main>
<h1 data-testid="title">${escapeHtml(view.title)}</h1>
<p>Product ${view.id}, served by <b>frontend</b>. Reload the page to see which version of reviews answers, or watch the live line below it.</p>
<section data-testid="reviews">
${renderReviews(view)}
</section>
<p class="detail" data-testid="live">live updates: connecting…</p>
</main>
<footer><span>x-request-id <code data-testid="request-id">${escapeHtml(view.requestId)}</code></span><a href="/api/product/${view.id}">JSON</a></footer>
${liveScript(view.id)}
</body>
</html>
`;
}

/** Keeps the "live" line current from /api/live/{id} (see live.ts): which reviews version answers now. */
function liveScript(id: number): string {
  return `<script>
(() => {
  const line = document.querySelector('[data-testid="live"]');
  const ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/api/live/${id}');
  ws.onmessage = (event) => {
    const m = JSON.parse(event.data);
    const stars = ((m.reviews && m.reviews.reviews) || []).filter((r) => r.rating).map((r) => r.rating.stars);
    line.dataset.version = m.reviewsVersion || '';
    line.textContent = m.status === 200
      ? 'live: reviews ' + m.reviewsVersion + (stars.length ? ', stars ' + stars.join(' ') : ', no stars') + ' at ' + new Date().toLocaleTimeString()
      : 'live: reviews unavailable (status ' + m.upstream.status + ') at ' + new Date().toLocaleTimeString();
  };
  ws.onclose = () => { line.textContent += ' (disconnected: reload to reconnect)'; };
})();
</script>`;
}

function renderUser(user: string | undefined): string {
  if (user !== undefined) return `signed in as <b>${escapeHtml(user)}</b> · <a href="/logout">sign out</a>`;
  return `<form action="/login" method="get"><input name="user" placeholder="user name" aria-label="user name"> <button>sign in</button></form>`;
}

function renderReviews({ reviews }: ProductView): string {
  if (!reviews.ok) {
    return `<h2>Reviews</h2>
<p class="error" data-testid="reviews-error">reviews unavailable (status ${reviews.status})</p>
<p class="detail">${escapeHtml(reviews.message)}</p>`;
  }
  const ratingsNote = reviews.ratingsError
    ? `<p class="error" data-testid="ratings-error">ratings unavailable${typeof reviews.ratingsError.status === 'number' ? ` (status ${reviews.ratingsError.status})` : ''}</p>`
    : '';
  return `<h2>Reviews <span class="badge" data-testid="reviews-version">reviews ${escapeHtml(reviews.version)}</span></h2>
${ratingsNote}${reviews.items.map(renderReview).join('\n')}`;
}

function renderReview(item: ReviewItem): string {
  return `<blockquote><p>${escapeHtml(item.text)}</p><footer>— ${escapeHtml(item.reviewer)}${item.stars === undefined ? '' : ` ${renderStars(item.stars, item.color)}`}</footer></blockquote>`;
}

function renderStars(stars: number, color = 'black'): string {
  const full = Math.max(0, Math.min(5, Math.round(stars)));
  // The colour goes into a style attribute: allow names and hex only.
  const safeColor = /^([a-z]{1,20}|#[0-9a-f]{3,8})$/i.test(color) ? color : 'black';
  return `<span class="stars" data-testid="stars" data-stars="${full}" style="color:${safeColor}" aria-label="${full} of 5 stars">${'★'.repeat(full)}${'☆'.repeat(5 - full)}</span>`;
}
