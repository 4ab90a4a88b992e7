/*! <site-search>: the ESN site search widget. Plain JS, no dependencies, no build step.
 * Embed: <script src="https://SEARCH-HOST/widget.js" defer></script> + <site-search></site-search>
 * Docs: docs/widget.md (attributes, theming variables, keyboard, languages). */
(() => {
  "use strict";
  if (!window.customElements || customElements.get("site-search")) return;

  // Captured now: document.currentScript is only set while this file first runs.
  const SCRIPT = document.currentScript || document.querySelector('script[src*="widget.js"]');
  const SCRIPT_SRC = SCRIPT ? SCRIPT.src : "";
  const DEFAULT_API = new URL("./", SCRIPT_SRC || location.href).href;
  const FACETS = ["country", "partner", "year", "language"];
  const SORTS = ["relevance", "newest", "oldest"];
  const URL_KEYS = ["q", "sort"].concat(FACETS); // what the widget keeps in the page URL
  const DEBOUNCE_MS = 180;
  const SETTLE_MS = 1500; // typed results shown this long without a keystroke: the query counts
  const FACET_PREVIEW = 6; // values shown per facet before "Show all"

  const STRINGS = {
    en: {
      label: "Search the site", placeholder: "Search news…", results: "Search results",
      loading: "Searching…", one: "{n} result", other: "{n} results",
      none: "No results.", hint: "Try other words or remove some filters.",
      down: "Search is unavailable right now. Please try again in a moment.",
      refused: "This search could not be run.", retry: "Try again",
      moreFailed: "More results could not be loaded.",
      dym: "Did you mean {s}?", more: "More results", clear: "Clear filters",
      sort: "Sort by", relevance: "Relevance", newest: "Newest first", oldest: "Oldest first",
      country: "Country", partner: "Partner", year: "Year", language: "Language",
      all: "Show all ({n})", fewer: "Show fewer",
      notice: {
        words_dropped: "Only the first words of your search were used.",
        no_searchable_words: "Type words to search for: symbols and emoji alone are not searched.",
      },
    },
    fr: {
      label: "Rechercher sur le site", placeholder: "Rechercher des actualités…",
      results: "Résultats de recherche", loading: "Recherche en cours…",
      one: "{n} résultat", other: "{n} résultats", none: "Aucun résultat.",
      hint: "Essayez d’autres mots ou retirez des filtres.",
      down: "La recherche est indisponible pour le moment. Veuillez réessayer dans un instant.",
      refused: "Cette recherche n’a pas pu être effectuée.", retry: "Réessayer",
      moreFailed: "Les résultats suivants n’ont pas pu être chargés.",
      dym: "Vouliez-vous dire {s} ?", more: "Plus de résultats", clear: "Effacer les filtres",
      sort: "Trier par", relevance: "Pertinence", newest: "Plus récents", oldest: "Plus anciens",
      country: "Pays", partner: "Partenaire", year: "Année", language: "Langue",
      all: "Tout afficher ({n})", fewer: "Afficher moins",
      notice: {
        words_dropped: "Seuls les premiers mots de votre recherche ont été utilisés.",
        no_searchable_words: "Saisissez des mots : les symboles et les emoji seuls ne sont pas recherchés.",
      },
    },
    es: {
      label: "Buscar en el sitio", placeholder: "Buscar noticias…",
      results: "Resultados de búsqueda", loading: "Buscando…",
      one: "{n} resultado", other: "{n} resultados", none: "No hay resultados.",
      hint: "Pruebe con otras palabras o quite algunos filtros.",
      down: "La búsqueda no está disponible en este momento. Vuelva a intentarlo en unos instantes.",
      refused: "No se pudo realizar esta búsqueda.", retry: "Reintentar",
      moreFailed: "No se pudieron cargar más resultados.",
      dym: "¿Quiso decir {s}?", more: "Más resultados", clear: "Borrar filtros",
      sort: "Ordenar por", relevance: "Relevancia", newest: "Más recientes", oldest: "Más antiguos",
      country: "País", partner: "Socio", year: "Año", language: "Idioma",
      all: "Mostrar todo ({n})", fewer: "Mostrar menos",
      notice: {
        words_dropped: "Solo se usaron las primeras palabras de su búsqueda.",
        no_searchable_words: "Escriba palabras: los símbolos y los emojis solos no se buscan.",
      },
    },
  };

  const STYLE = `
:host{display:block;position:relative}
:host([hidden]){display:none}
.root{all:initial;display:block;position:relative;color:var(--ss-text,#1f2328);
font:var(--ss-font-size,1rem)/1.45 var(--ss-font,system-ui,-apple-system,"Segoe UI",Roboto,sans-serif);
--a:var(--ss-accent,#0b5cad);--m:var(--ss-muted,#57606a);--bg:var(--ss-bg,#fff);--r:var(--ss-radius,8px);--b:var(--ss-border,#8c959f)}
*,*::before,*::after{box-sizing:border-box}
[hidden]{display:none!important}
.box{display:flex;align-items:center;gap:.5em;background:var(--bg);border:1px solid var(--b);border-radius:var(--r);padding:0 .75em}
.box:focus-within{border-color:var(--a);box-shadow:0 0 0 3px var(--ss-focus-ring,rgba(11,92,173,.3))}
.box svg{flex:none;width:1.1em;height:1.1em;color:var(--m)}
input[type=search]{flex:1;min-width:0;border:0;outline:0;background:transparent;font:inherit;color:inherit;padding:.65em 0}
input::placeholder{color:var(--m);opacity:1}
.spin{flex:none;width:1em;height:1em;border:2px solid var(--m);border-right-color:transparent;border-radius:50%;animation:r .7s linear infinite}
@keyframes r{to{transform:rotate(360deg)}}
@media (prefers-reduced-motion:reduce){.spin{animation:none}}
.panel{position:var(--ss-panel-position,absolute);left:0;right:0;top:calc(100% + 4px);z-index:var(--ss-z-index,1000);
background:var(--bg);border:1px solid var(--ss-border-subtle,#d0d7de);border-radius:var(--r);
box-shadow:var(--ss-shadow,0 12px 32px rgba(0,0,0,.16));max-height:var(--ss-panel-max-height,75vh);overflow:auto;padding:1em;container-type:inline-size}
.grid{display:grid;grid-template-columns:minmax(9rem,13rem) minmax(0,1fr);gap:1.25em}
.grid.nof{grid-template-columns:minmax(0,1fr)}
@container (max-width:36rem){.grid{grid-template-columns:minmax(0,1fr)}.facets{order:2;border-top:1px solid var(--ss-border-subtle,#d0d7de);padding-top:.75em}}
fieldset{border:0;margin:0 0 1em;padding:0;min-width:0}
legend{padding:0;margin-bottom:.3em;font-size:.78em;font-weight:700;letter-spacing:.05em;text-transform:uppercase;color:var(--m)}
label{display:flex;align-items:baseline;gap:.45em;padding:.12em 0;font-size:.92em;cursor:pointer}
label span:first-of-type{overflow-wrap:anywhere}
input[type=checkbox]{flex:none;margin:0;accent-color:var(--a)}
.n{margin-left:auto;color:var(--m);font-variant-numeric:tabular-nums}
.bar{display:flex;flex-wrap:wrap;align-items:baseline;justify-content:space-between;gap:.25em 1em;margin:0 0 .5em}
.status{margin:0;color:var(--m);font-size:.9em}
.sortl{font-size:.85em;color:var(--m)}
select{font:inherit;color:var(--ss-text,#1f2328);background:var(--bg);border:1px solid var(--b);border-radius:calc(var(--r) / 2);padding:.1em .3em;margin-left:.3em}
.err{color:var(--ss-error,#b3261e)}
.merr{margin:.75em 0 0;font-size:.9em}
.dym,.note{margin:0 0 .6em}
ul{list-style:none;margin:0;padding:0}
ul.busy{opacity:.55}
.opt{display:block;padding:.6em .7em;border-radius:calc(var(--r) - 2px);color:inherit;text-decoration:none}
.opt:hover{background:var(--ss-hover-bg,#f3f6fa)}
.opt.act{background:var(--ss-active-bg,#e7f0fb);box-shadow:inset 3px 0 0 var(--a)}
.title{display:block;color:var(--a);font-weight:600;overflow-wrap:anywhere}
.opt:hover .title,.act .title{text-decoration:underline}
.meta{display:block;margin-top:.1em;font-size:.8em;color:var(--m)}
.snip{display:block;margin-top:.25em;font-size:.92em;overflow-wrap:anywhere}
mark{background:var(--ss-mark-bg,#fff0a0);color:var(--ss-mark-text,inherit);border-radius:2px;padding:0 .1em}
button{font:inherit;cursor:pointer;color:var(--a)}
.btn{margin-top:.75em;background:var(--bg);border:1px solid var(--b);border-radius:var(--r);padding:.35em .9em}
.lnk{border:0;background:none;padding:0;text-decoration:underline}
fieldset .lnk{margin-top:.2em;font-size:.85em}
:focus-visible{outline:2px solid var(--a);outline-offset:2px}
@media (forced-colors:active){.opt.act{outline:2px solid Highlight}}
.sr{position:absolute;width:1px;height:1px;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}`;

  // A constructed stylesheet is not an inline <style>: pages whose Content-Security-Policy
  // forbids inline styles still style the widget. Older browsers get the <style> element.
  const SHEET = (() => {
    try {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(STYLE);
      return sheet;
    } catch (_) {
      return null;
    }
  })();

  // .root resets every inherited property (all:initial): host page styles stop at the shadow root.
  // maxlength counts UTF-16 units, each at most 3 bytes of UTF-8: 1024 of them stay within the
  // API's 4,096-byte query limit, and a pasted paragraph fits.
  const TEMPLATE = `${SHEET ? "" : `<style>${STYLE}</style>`}<div class="root" part="root">
<div class="box" part="box">
<svg viewBox="0 0 24 24" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2.2"><circle cx="10.5" cy="10.5" r="6.5"/><path d="m15.5 15.5 5 5"/></svg>
<input id="q" type="search" part="input" role="combobox" aria-autocomplete="list" aria-expanded="false"
 aria-controls="list" maxlength="1024" autocomplete="off" autocapitalize="off" spellcheck="false" enterkeyhint="search">
<span class="spin" hidden></span>
</div>
<div class="sr" role="status" aria-live="polite" aria-atomic="true" id="live"></div>
<div class="panel" part="panel" id="panel" hidden>
<div class="grid">
<div class="facets" id="facets"></div>
<div class="main">
<div class="bar"><p class="status" id="status"></p>
<label class="sortl" id="sortl" hidden><span id="sortt"></span><select id="sort"></select></label></div>
<p class="dym" id="dym" hidden></p>
<p class="note" id="note" hidden></p>
<ul role="listbox" id="list"></ul>
<p class="err merr" id="merr" hidden></p>
<button type="button" class="btn" id="more" hidden></button>
</div></div></div></div>`;

  /** Turns the API's escaped snippet into nodes: text, plus <mark> and nothing else. */
  function snippetNodes(snippet) {
    const frag = document.createDocumentFragment();
    String(snippet || "").split(/(<mark>|<\/mark>)/).reduce((inMark, part) => {
      if (part === "<mark>") return true;
      if (part === "</mark>") return false;
      if (part) {
        const text = document.createTextNode(decodeEntities(part));
        if (inMark) frag.appendChild(el("mark")).appendChild(text);
        else frag.appendChild(text);
      }
      return inMark;
    }, false);
    return frag;
  }

  // Decoded by hand, so no text from the API ever goes through an HTML parser.
  const NAMED = new Map([["amp", "&"], ["lt", "<"], ["gt", ">"], ["quot", '"'], ["apos", "'"], ["nbsp", "\u00a0"]]);
  function decodeEntities(text) {
    return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (entity, code) => {
      if (code[0] !== "#") return NAMED.get(code.toLowerCase()) || entity;
      const n = /x/i.test(code[1]) ? parseInt(code.slice(2), 16) : parseInt(code.slice(1), 10);
      return n > 0 && n <= 0x10ffff ? String.fromCodePoint(n) : entity;
    });
  }

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text != null) node.textContent = text;
    return node;
  }

  function emptyFilters() {
    return { country: [], partner: [], year: [], language: [] };
  }

  class SiteSearch extends HTMLElement {
    static get observedAttributes() {
      return ["api", "lang", "placeholder", "label", "per-page", "facets", "url-state", "analytics"];
    }

    constructor() {
      super();
      const root = this.attachShadow({ mode: "open" });
      if (SHEET) root.adoptedStyleSheets = [SHEET];
      root.innerHTML = TEMPLATE;
      const $ = (id) => this.shadowRoot.getElementById(id);
      this.$ = { input: $("q"), panel: $("panel"), facets: $("facets"), status: $("status"),
        dym: $("dym"), note: $("note"), list: $("list"), more: $("more"), moreErr: $("merr"), live: $("live"),
        sort: $("sort"), sortLabel: $("sortl"), sortText: $("sortt"),
        spin: this.shadowRoot.querySelector(".spin"), grid: this.shadowRoot.querySelector(".grid") };
      this.q = "";
      this.filters = emptyFilters();
      this.sort = "relevance";
      this.result = null; // last successful response (hits accumulated over "more")
      this.hits = [];
      this.error = null;
      this.moreFailed = false; // the last "More results" failed: the hits shown stay
      this.loading = false;
      this.active = -1;
      this.expanded = {}; // facets whose values are all shown
      this.seq = 0;
      this.said = 0; // announcements made (a delayed one is dropped when a newer one came)
      this.controller = null;
      this.timer = 0;
      // Search analytics (docs/analytics.md): the id of the results shown, the search it is for,
      // and whether it was counted; typed results count once the visitor settles on them.
      this.sid = null;
      this.sidKey = "";
      this.counted = false;
      this.settleTimer = 0;
      this.onPopState = () => this.restoreFromUrl(true);
      this.onOutside = (e) => { if (!e.composedPath().includes(this)) this.close(); };
      this.bindEvents();
    }

    connectedCallback() {
      this.configure();
      window.addEventListener("popstate", this.onPopState);
      document.addEventListener("pointerdown", this.onOutside, true);
      this.restoreFromUrl(false);
    }

    disconnectedCallback() {
      window.removeEventListener("popstate", this.onPopState);
      document.removeEventListener("pointerdown", this.onOutside, true);
      clearTimeout(this.timer);
      clearTimeout(this.settleTimer);
      if (this.controller) this.controller.abort();
    }

    attributeChangedCallback() {
      if (!this.isConnected) return;
      this.configure();
      this.render();
    }

    /** Reads the attributes; the API base ends with "/" so endpoints resolve under it. */
    configure() {
      const api = this.getAttribute("api");
      this.api = api ? new URL(api.replace(/\/?$/, "/"), location.href).href : DEFAULT_API;
      const lang = (this.getAttribute("lang") || (this.closest("[lang]") || {}).lang ||
        document.documentElement.lang || "en").split("-")[0].toLowerCase(); // "fr-CA" -> "fr"
      this.uiLang = Object.prototype.hasOwnProperty.call(STRINGS, lang) ? lang : "en";
      this.t = STRINGS[this.uiLang];
      const perPage = parseInt(this.getAttribute("per-page"), 10); // a number is clamped to 1..100
      this.perPage = isNaN(perPage) ? 10 : Math.min(100, Math.max(1, perPage));
      const facets = this.getAttribute("facets");
      this.facetNames = (facets == null ? "country,partner,year" : facets)
        .split(",").map((f) => f.trim()).filter((f) => FACETS.includes(f));
      this.urlState = this.getAttribute("url-state") !== "off";
      this.track = this.getAttribute("analytics") !== "off";
      const { input, list } = this.$;
      input.placeholder = this.getAttribute("placeholder") || this.t.placeholder;
      input.setAttribute("aria-label", this.getAttribute("label") || this.t.label);
      list.setAttribute("aria-label", this.t.results);
      this.$.sortText.textContent = this.t.sort;
      this.$.sort.replaceChildren(...SORTS.map((value) => Object.assign(el("option", null, this.t[value]), { value })));
      this.$.sort.value = this.sort;
      this.dates = new Intl.DateTimeFormat(this.uiLang, { dateStyle: "medium", timeZone: "UTC" });
      this.languages = Intl.DisplayNames ? new Intl.DisplayNames([this.uiLang], { type: "language" }) : null;
      this.plurals = new Intl.PluralRules(this.uiLang);
    }

    bindEvents() {
      const { input, panel, list, more, facets, dym } = this.$;
      input.addEventListener("input", () => {
        this.q = input.value;
        this.setActive(-1); // the highlighted result belongs to the old text: Enter searches the new one
        clearTimeout(this.timer);
        clearTimeout(this.settleTimer);
        this.timer = setTimeout(() => this.search({ history: "typing", typing: "keys" }), DEBOUNCE_MS);
      });
      input.addEventListener("keydown", (e) => this.onKey(e));
      input.addEventListener("click", () => this.reopen());
      panel.addEventListener("keydown", (e) => {
        if (e.key === "Escape") { e.preventDefault(); this.close(); input.focus(); }
      });
      this.addEventListener("focusout", (e) => {
        const to = e.relatedTarget;
        if (to && to !== this && !this.contains(to) && !this.shadowRoot.contains(to)) this.close();
      });
      // A click on a result or a blank part of the panel keeps the focus in the box.
      panel.addEventListener("mousedown", (e) => {
        if (!e.target.closest("input, label, select, button")) e.preventDefault();
      });
      more.addEventListener("click", () => { this.settle(); this.search({ page: this.result.page + 1 }); });
      const onOpen = (e) => {
        const option = e.target.closest("[role=option]");
        if (option && (e.type === "click" || e.button === 1)) this.opened(Number(option.id.slice(1)));
      };
      list.addEventListener("click", onOpen);
      list.addEventListener("auxclick", onOpen);
      this.$.sort.addEventListener("change", (e) => {
        this.sort = e.target.value;
        this.search({ history: "push" });
      });
      facets.addEventListener("change", (e) => {
        const box = e.target;
        const values = this.filters[box.name];
        this.filters[box.name] = box.checked ? values.concat(box.value) : values.filter((v) => v !== box.value);
        this.search({ history: "push" });
      });
      facets.addEventListener("click", (e) => {
        const button = e.target.closest("button");
        if (!button) return;
        const facet = button.dataset.toggle;
        if (facet) {
          this.expanded[facet] = !this.expanded[facet];
          this.render();
          return;
        }
        this.filters = emptyFilters();
        input.focus();
        this.search({ history: "push" });
      });
      dym.addEventListener("click", (e) => {
        if (!e.target.closest("button")) return;
        input.value = this.q = this.result.suggestion;
        input.focus();
        this.search({ history: "push" });
      });
      this.$.status.addEventListener("click", (e) => {
        if (e.target.closest("button")) { input.focus(); this.search({ page: this.pendingPage || 1 }); }
      });
    }

    onKey(e) {
      if (e.isComposing) return; // an IME is composing: Enter and arrows belong to it
      const open = !this.$.panel.hidden;
      switch (e.key) {
        case "ArrowDown":
        case "ArrowUp":
          e.preventDefault();
          if (!open) { this.reopen(); return; }
          this.setActive(this.active + (e.key === "ArrowDown" ? 1 : -1));
          return;
        case "Enter":
          e.preventDefault();
          if (open && this.active >= 0) this.follow(this.active, e.ctrlKey || e.metaKey);
          else { clearTimeout(this.timer); this.search({ history: "push" }); }
          return;
        case "Escape":
          e.preventDefault(); // also stops Chromium's own clearing of type=search
          if (open) this.close();
          else if (this.$.input.value || this.hasFilters()) this.clearAll();
          return;
        default:
      }
    }

    hasFilters() {
      return FACETS.some((f) => this.filters[f].length > 0);
    }

    hasQuery() {
      return this.q.trim() !== "" || this.hasFilters();
    }

    /** Runs a search now. Only the newest request may render (the `seq` guard); older ones are aborted.
     * `typing`: "keys" (counted once the visitor pauses), "back" (Back/Forward: counted if a result is
     * opened), or false (counted now). */
    async search({ page = 1, history = null, typing = false } = {}) {
      clearTimeout(this.timer);
      clearTimeout(this.settleTimer);
      if (history) this.writeUrl(history);
      if (this.controller) this.controller.abort();
      const seq = ++this.seq;
      if (!this.hasQuery()) {
        this.controller = null;
        this.loading = false;
        this.result = null; this.hits = []; this.error = null; this.moreFailed = false;
        this.close();
        this.render();
        return;
      }
      const controller = (this.controller = new AbortController());
      this.loading = true;
      this.pendingPage = page;
      this.$.panel.hidden = false;
      this.renderBusy();
      const key = this.searchUrl(1);
      if (!this.track) typing = "off";
      try {
        const response = await fetch(this.countedUrl(page, key, typing), {
          signal: controller.signal, headers: { Accept: "application/json" } });
        const body = await response.json().catch(() => null);
        if (seq !== this.seq) return;
        // A 4xx says what is wrong with the request; a 5xx (e.g. no index yet) is "unavailable".
        if (!response.ok) throw Object.assign(new Error("refused"), { refused: response.status < 500, body });
        if (!body || !Array.isArray(body.hits)) throw new Error("not a search response");
        this.error = null;
        this.moreFailed = false;
        this.hits = page > 1 ? this.hits.concat(body.hits) : body.hits;
        if (page === 1) {
          this.active = -1;
          this.adoptSelected(body.facets);
          this.sid = this.track ? body.search_id || null : null;
          this.sidKey = key;
          this.counted = !typing;
          if (typing === "keys" && this.sid) this.settleTimer = setTimeout(() => this.settle(), SETTLE_MS);
        }
        this.result = body;
      } catch (error) {
        if (seq !== this.seq) return;
        this.moreFailed = page > 1;
        const detail = error.body && error.body.error && error.body.error.message;
        if (!this.moreFailed) this.error = error.refused ? { text: this.t.refused, detail } : { text: this.t.down };
      }
      this.loading = false;
      this.controller = null;
      this.render();
      this.announce();
    }

    /** The API reads a filter value like a query (`country=benin` selects Benin) and lists the
     * value it selected: the filters become those, so that box is ticked and unticking it works. */
    adoptSelected(facets) {
      for (const f of FACETS) {
        const values = facets && Array.isArray(facets[f]) ? facets[f] : null;
        if (values && this.filters[f].length) this.filters[f] = values.filter((v) => v && v.selected).map((v) => String(v.value));
      }
    }

    searchUrl(page) {
      const url = new URL("search", this.api);
      const params = url.searchParams;
      if (this.q.trim()) params.set("q", this.q.trim());
      if (this.sort !== "relevance") params.set("sort", this.sort);
      for (const f of FACETS) for (const v of this.filters[f]) params.append(f, v);
      params.set("page", String(page));
      params.set("per_page", String(this.perPage));
      return url.href;
    }

    /** The URL of a request: page 1 goes with the id of the same search shown before (so it counts
     * once) and, while the visitor types, `typing=true` (answered, not counted). */
    countedUrl(page, key, typing) {
      if (page > 1) return this.searchUrl(page);
      const url = new URL(key);
      if (this.sid && key === this.sidKey) url.searchParams.set("search_id", this.sid);
      if (typing) url.searchParams.set("typing", "true");
      return url.href;
    }

    /** The visitor settled on the typed results shown (paused, opened one, asked for more): they
     * count now, asked once more under their id without `typing` (the service's cache answers). */
    settle() {
      clearTimeout(this.settleTimer);
      if (!this.sid || this.counted) return;
      this.counted = true;
      fetch(this.countedUrl(1, this.sidKey, false), { keepalive: true, headers: { Accept: "application/json" } })
        .catch(() => {});
    }

    /** Reports the opened result (position from 1, article id) with a beacon: it survives the page
     * being left, and its text/plain body needs no CORS preflight. */
    opened(index) {
      const hit = this.hits[index];
      if (!hit || !this.sid || !navigator.sendBeacon) return;
      this.settle();
      navigator.sendBeacon(new URL("clicks", this.api).href,
        JSON.stringify({ search_id: this.sid, position: index + 1, article_id: String(hit.id) }));
    }

    /** Keeps q and filters in the page URL. Typing replaces the entry while the box keeps words;
     * its first word and emptying it push one, like every other change (docs/widget.md). */
    writeUrl(mode) {
      if (!this.urlState) return;
      const url = new URL(location.href);
      const hadQ = url.searchParams.has("q");
      for (const k of URL_KEYS) url.searchParams.delete(k);
      if (this.q.trim()) url.searchParams.set("q", this.q.trim());
      if (this.sort !== "relevance") url.searchParams.set("sort", this.sort);
      for (const f of FACETS) for (const v of this.filters[f]) url.searchParams.append(f, v);
      if (url.href === location.href) return;
      const push = mode === "push" || (mode === "typing" && hadQ !== url.searchParams.has("q"));
      window.history[push ? "pushState" : "replaceState"](window.history.state, "", url.href);
    }

    /** Runs the search the page URL holds: on load it counts; on Back/Forward (`again`) it does
     * not, unless the visitor opens a result from it. */
    restoreFromUrl(again) {
      if (!this.urlState) return;
      const params = new URLSearchParams(location.search);
      const q = params.get("q") || "";
      const filters = emptyFilters();
      for (const f of FACETS) filters[f] = params.getAll(f);
      const sort = SORTS.includes(params.get("sort")) ? params.get("sort") : "relevance";
      if (q === this.q.trim() && sort === this.sort &&
        JSON.stringify(filters) === JSON.stringify(this.filters)) return;
      this.q = this.$.input.value = q;
      this.filters = filters;
      this.sort = this.$.sort.value = sort;
      this.search({ typing: again ? "back" : false });
    }

    clearAll() {
      this.$.input.value = this.q = "";
      this.filters = emptyFilters();
      this.sort = this.$.sort.value = "relevance";
      this.search({ history: "push" });
    }

    reopen() {
      if (this.$.panel.hidden && (this.result || this.error || this.loading) && this.hasQuery()) {
        this.$.panel.hidden = false;
        this.syncExpanded();
      }
    }

    close() {
      this.$.panel.hidden = true;
      this.setActive(-1);
      this.syncExpanded();
    }

    syncExpanded() {
      const shown = !this.$.panel.hidden && !this.$.list.hidden && this.$.list.children.length > 0;
      this.$.input.setAttribute("aria-expanded", String(shown));
    }

    setActive(index) {
      const options = this.$.list.querySelectorAll("[role=option]");
      this.active = Math.max(-1, Math.min(index, options.length - 1));
      options.forEach((option, i) => {
        const on = i === this.active;
        option.classList.toggle("act", on);
        option.setAttribute("aria-selected", String(on));
        if (on) option.scrollIntoView({ block: "nearest" });
      });
      if (this.active >= 0) this.$.input.setAttribute("aria-activedescendant", "o" + this.active);
      else this.$.input.removeAttribute("aria-activedescendant");
    }

    follow(index, newTab) {
      const option = this.$.list.querySelector("#o" + index);
      if (!option) return;
      this.opened(index);
      if (newTab) window.open(option.href, "_blank", "noopener");
      else window.location.assign(option.href);
    }

    /** Only http(s) URLs (relative ones are on the host site) are followed; else the service's page. */
    hitUrl(hit) {
      try {
        const url = new URL(hit.url, location.href);
        if (hit.url && (url.protocol === "https:" || url.protocol === "http:")) return url.href;
      } catch (_) { /* fall through to the service's page */ }
      return new URL("articles/" + encodeURIComponent(hit.id), this.api).href;
    }

    renderBusy() {
      this.$.spin.hidden = !this.loading;
      this.$.list.classList.toggle("busy", this.loading);
      this.$.list.setAttribute("aria-busy", String(this.loading));
      if (this.loading && !this.result) this.setStatus(this.t.loading);
      this.syncExpanded();
    }

    render() {
      this.renderBusy();
      const focused = this.shadowRoot.activeElement;
      const key = focused && focused.dataset ? focused.dataset.key : null;
      this.renderFacets();
      this.renderHits();
      if (key) (this.shadowRoot.querySelector(`[data-key="${cssEscape(key)}"]`) || this.$.input).focus();
      else if (focused && focused !== this.$.input && (focused.hidden || !focused.isConnected ||
        focused.closest("[hidden]"))) this.$.input.focus();
      this.syncExpanded();
    }

    setStatus(text, isError, withRetry) {
      const status = this.$.status;
      status.textContent = text;
      status.classList.toggle("err", !!isError);
      if (withRetry) {
        status.append(" ");
        status.appendChild(el("button", "lnk", this.t.retry)).type = "button";
      }
    }

    renderHits() {
      const { list, more, moreErr, dym, note } = this.$;
      const t = this.t;
      this.$.sortLabel.hidden = !(this.result && !this.error && this.result.total > 1);
      list.replaceChildren();
      dym.hidden = true;
      note.textContent = this.noteText();
      note.hidden = !note.textContent;
      moreErr.hidden = !this.moreFailed;
      moreErr.textContent = t.moreFailed;
      more.textContent = this.moreFailed ? t.retry : t.more;
      // Hidden only when it has to go: hiding the focused button, even for a moment, blurs it.
      more.hidden = !!this.error || !this.result || this.hits.length >= this.result.total;
      if (this.error) {
        list.hidden = true;
        this.setStatus(this.error.text + (this.error.detail ? " " + this.error.detail : ""), true, !this.error.detail);
        return;
      }
      const result = this.result;
      if (!result) return;
      const suggestion = result.suggestion;
      if (suggestion && suggestion.toLowerCase() !== this.q.trim().toLowerCase()) {
        const [before, after] = t.dym.split("{s}");
        const button = el("button", "lnk", suggestion);
        button.type = "button";
        dym.replaceChildren(before, button, after);
        dym.hidden = false;
      }
      // A note saying why nothing was searched replaces the hint to try other words.
      this.setStatus(result.total ? this.countText(result.total) : t.none + (note.hidden ? " " + t.hint : ""));
      list.hidden = this.hits.length === 0;
      this.hits.forEach((hit, i) => list.appendChild(this.renderHit(hit, i)));
      this.setActive(this.active);
    }

    /** The option is the link itself (an <a role="option">): native clicks, middle-clicks and
     * "open in new tab" work, and no focusable element nests inside an option. */
    renderHit(hit, i) {
      const li = el("li");
      li.setAttribute("role", "none");
      const option = li.appendChild(el("a", "opt"));
      option.id = "o" + i;
      option.href = this.hitUrl(hit);
      option.tabIndex = -1;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      option.appendChild(el("span", "title", hit.title || hit.id));
      const meta = [];
      if (hit.date) {
        const date = new Date(hit.date + "T00:00:00Z");
        meta.push(isNaN(date) ? String(hit.date) : this.dates.format(date));
      } else if (hit.year) meta.push(String(hit.year));
      if (hit.language) meta.push(this.languageName(hit.language));
      const countries = hit.countries || [];
      if (countries.length) meta.push(countries.slice(0, 3).join(", ") + (countries.length > 3 ? " +" + (countries.length - 3) : ""));
      if (meta.length) option.appendChild(el("span", "meta", meta.join(" · ")));
      if (hit.snippet) option.appendChild(el("span", "snip", "")).appendChild(snippetNodes(hit.snippet));
      return li;
    }

    renderFacets() {
      const box = this.$.facets;
      box.replaceChildren();
      const facets = (this.result && !this.error && this.result.facets) || {};
      let shown = 0;
      for (const name of this.facetNames) {
        const all = (facets[name] || []).filter((v) => v.selected || v.count > 0);
        if (name === "year") all.sort((a, b) => Number(b.value) - Number(a.value));
        const values = this.expanded[name] ? all : all.filter((v, i) => v.selected || i < FACET_PREVIEW);
        if (!values.length) continue;
        shown++;
        const set = box.appendChild(el("fieldset"));
        set.appendChild(el("legend", null, this.t[name]));
        for (const v of values) {
          const label = set.appendChild(el("label"));
          const check = label.appendChild(el("input"));
          check.type = "checkbox";
          check.name = name;
          check.value = String(v.value);
          check.checked = this.filters[name].includes(String(v.value));
          check.dataset.key = name + ":" + v.value;
          label.appendChild(el("span", null, name === "language" ? this.languageName(v.value) : String(v.value)));
          label.appendChild(el("span", "n", v.count.toLocaleString(this.uiLang)));
        }
        if (all.length > FACET_PREVIEW) {
          const more = this.expanded[name];
          const toggle = set.appendChild(el("button", "lnk", more ? this.t.fewer : this.t.all.replace("{n}", all.length)));
          toggle.type = "button";
          toggle.dataset.toggle = name;
          toggle.dataset.key = "toggle:" + name;
          toggle.setAttribute("aria-expanded", String(!!more));
        }
      }
      if (this.hasFilters()) {
        const clear = box.appendChild(el("button", "lnk", this.t.clear));
        clear.type = "button";
        shown++;
      }
      box.hidden = shown === 0;
      this.$.grid.classList.toggle("nof", shown === 0);
    }

    /** The API's `notice` (words left out, no word to search) in the widget's language; an unknown
     * code shows the API's own message. */
    noteText() {
      const notice = !this.error && this.result && this.result.notice;
      if (!notice) return "";
      const own = Object.prototype.hasOwnProperty.call(this.t.notice, notice.code);
      return own ? this.t.notice[notice.code] : typeof notice.message === "string" ? notice.message : "";
    }

    countText(n) {
      return this.t[this.plurals.select(n) === "one" ? "one" : "other"].replace("{n}", n.toLocaleString(this.uiLang));
    }

    languageName(code) {
      try {
        const name = this.languages && this.languages.of(code);
        return name ? name.charAt(0).toLocaleUpperCase(this.uiLang) + name.slice(1) : code;
      } catch (_) {
        return String(code);
      }
    }

    /** The polite live region says how many results there are and the API's notice (or why there
     * are none, or that "More results" failed). */
    announce() {
      const note = this.noteText();
      const text = this.error ? this.error.text : this.moreFailed ? this.t.moreFailed
        : this.result ? (this.result.total ? this.countText(this.result.total) : this.t.none) + (note && " " + note) : "";
      const live = this.$.live;
      const said = ++this.said;
      // The same words again (re-sorted, retried) are emptied first, or screen readers stay silent.
      if (text && live.textContent === text) {
        live.textContent = "";
        requestAnimationFrame(() => { if (said === this.said) live.textContent = text; });
      } else live.textContent = text;
    }
  }

  const cssEscape = (s) => (window.CSS && CSS.escape ? CSS.escape(s) : s.replace(/["\\]/g, "\\$&"));

  customElements.define("site-search", SiteSearch);
})();
