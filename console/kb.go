package console

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/ascolto/ascolto/store"
)

// kbTopics are the sections of the knowledge base, in display order.
func kbTopics() []string {
	return []string{"avvisi", "autoprotezione", "rischi", "competenze", "campagne", "servizio"}
}

const maxQuery = 200

// kbVisible says which statuses a visitor may see: agents see published
// articles, editors everything.
func (c *Console) kbVisible(v *visit) func(string) bool {
	if c.policy.allows(v.user.Role, PermKBEdit) {
		return func(string) bool { return true }
	}
	return func(s string) bool { return s == store.KBPublished }
}

type kbSection struct {
	Topic    string
	Articles []store.KBArticle
}

type kbListData struct {
	Query    string
	Hits     []kbHit
	Sections []kbSection
	Searched bool
}

func (c *Console) kbList(v *visit) error {
	q := strings.TrimSpace(v.r.URL.Query().Get("q"))
	if len(q) > maxQuery {
		return failure(http.StatusBadRequest, "kb.querylong")
	}
	d := kbListData{Query: q}
	visible := c.kbVisible(v)
	if q != "" {
		d.Searched = true
		d.Hits = c.kb.search(q, visible, 50)
	} else {
		all, err := c.db.KBArticles(v.r.Context())
		if err != nil {
			return err
		}
		byTopic := map[string][]store.KBArticle{}
		for _, a := range all {
			if visible(a.Status) {
				byTopic[a.Topic] = append(byTopic[a.Topic], a)
			}
		}
		for _, t := range kbTopics() {
			if len(byTopic[t]) > 0 {
				d.Sections = append(d.Sections, kbSection{t, byTopic[t]})
				delete(byTopic, t)
			}
		}
		for t, as := range byTopic {
			d.Sections = append(d.Sections, kbSection{t, as})
		}
	}
	return c.render(v, http.StatusOK, "kb_list", c.newPage(v, "kb.title", d))
}

type kbArticleData struct {
	Article store.KBArticle
	Body    template.HTML
	Case    string
}

func (c *Console) kbArticle(v *visit) error {
	a, err := c.db.KBArticleBySlug(v.r.Context(), v.r.PathValue("slug"))
	if err != nil {
		return err
	}
	if !c.kbVisible(v)(a.Status) {
		return failure(http.StatusNotFound, "error.notfound")
	}
	d := kbArticleData{Article: a, Body: renderBody(a.Body), Case: v.r.URL.Query().Get("case")}
	return c.render(v, http.StatusOK, "kb_article", c.newPage(v, "kb.title", d))
}

type kbEditData struct {
	Article store.KBArticle
	New     bool
	Topics  []string
	Comment string
}

func (c *Console) kbNew(v *visit) error {
	d := kbEditData{New: true, Topics: kbTopics(), Article: store.KBArticle{Topic: "autoprotezione", Status: store.KBDraft}}
	return c.render(v, http.StatusOK, "kb_edit", c.newPage(v, "kb.new", d))
}

func (c *Console) kbEdit(v *visit) error {
	a, err := c.db.KBArticleBySlug(v.r.Context(), v.r.PathValue("slug"))
	if err != nil {
		return err
	}
	return c.render(v, http.StatusOK, "kb_edit", c.newPage(v, "kb.edit", kbEditData{Article: a, Topics: kbTopics()}))
}

// kbFromForm reads an article form; the store checks lengths and shape.
func kbFromForm(v *visit) store.KBArticle {
	f := v.r.PostForm
	return store.KBArticle{Slug: strings.TrimSpace(f.Get("slug")), Topic: f.Get("topic"), Status: f.Get("status"),
		Title: f.Get("title"), Summary: f.Get("summary"), Body: f.Get("body"), Tags: f.Get("tags")}
}

// kbAgain shows the form again with what was typed and why it was refused.
func (c *Console) kbAgain(v *visit, d kbEditData, err error) error {
	ue := classify(err)
	if ue.code >= 500 {
		return err
	}
	d.Topics, d.Comment = kbTopics(), v.r.PostForm.Get("comment")
	p := c.newPage(v, map[bool]string{true: "kb.new", false: "kb.edit"}[d.New], d)
	p.Problem = p.T(ue.key)
	if ue.detail != "" {
		p.Problem += " (" + ue.detail + ")"
	}
	return c.render(v, ue.code, "kb_edit", p)
}

func (c *Console) kbCreate(v *visit) error {
	a := kbFromForm(v)
	if a.Status != store.KBPublished {
		a.Status = store.KBDraft
	}
	if err := c.db.CreateKBArticle(v.r.Context(), &a, v.r.PostForm.Get("comment"), v.user.Username); err != nil {
		return c.kbAgain(v, kbEditData{Article: a, New: true}, err)
	}
	c.kbChanged(v, a)
	return redirect(v, "/kb/"+a.Slug+"?done=saved")
}

func (c *Console) kbUpdate(v *visit) error {
	cur, err := c.db.KBArticleBySlug(v.r.Context(), v.r.PathValue("slug"))
	if err != nil {
		return err
	}
	base, err := strconv.Atoi(v.r.PostForm.Get("version"))
	if err != nil || base <= 0 {
		return failure(http.StatusBadRequest, "error.invalid")
	}
	a := kbFromForm(v)
	a.ID, a.Slug = cur.ID, cur.Slug
	if a.Status == "" {
		a.Status = cur.Status
	}
	if err := c.db.UpdateKBArticle(v.r.Context(), &a, base, v.r.PostForm.Get("comment"), v.user.Username); err != nil {
		if errors.Is(err, store.ErrConflict) {
			err = &userError{http.StatusConflict, "kb.stale", ""}
		}
		a.Version = base
		return c.kbAgain(v, kbEditData{Article: a}, err)
	}
	c.kbChanged(v, a)
	return redirect(v, "/kb/"+a.Slug+"?done=saved")
}

func (c *Console) kbStatus(v *visit) error {
	cur, err := c.db.KBArticleBySlug(v.r.Context(), v.r.PathValue("slug"))
	if err != nil {
		return err
	}
	a, err := c.db.SetKBStatus(v.r.Context(), cur.ID, v.r.PostForm.Get("status"), v.r.PostForm.Get("comment"), v.user.Username)
	if err != nil {
		return err
	}
	c.kbChanged(v, a)
	return redirect(v, "/kb/"+a.Slug+"?done="+a.Status)
}

// kbChanged rebuilds the index and tells open consoles.
func (c *Console) kbChanged(v *visit, a store.KBArticle) {
	if err := c.refreshKB(v.r.Context(), true); err != nil {
		c.log.Warn("rebuild knowledge base index: " + err.Error())
	}
	c.hub.Send(TopicKB, "kb.changed", map[string]any{"id": a.ID, "slug": a.Slug, "title": a.Title, "status": a.Status,
		"topic": a.Topic, "version": a.Version})
}

type kbHistoryData struct {
	Article   store.KBArticle
	Revisions []store.KBRevision
}

func (c *Console) kbHistory(v *visit) error {
	a, err := c.db.KBArticleBySlug(v.r.Context(), v.r.PathValue("slug"))
	if err != nil {
		return err
	}
	revs, err := c.db.KBHistory(v.r.Context(), a.ID)
	if err != nil {
		return err
	}
	return c.render(v, http.StatusOK, "kb_history", c.newPage(v, "kb.history", kbHistoryData{a, revs}))
}

// kbPinForm pins the article to a case from the article page.
func (c *Console) kbPinForm(v *visit) error {
	a, err := c.db.KBArticleBySlug(v.r.Context(), v.r.PathValue("slug"))
	if err != nil {
		return err
	}
	if _, err := c.pin(v.r.Context(), v.user.Username, v.r.PostForm.Get("case"), a.ID); err != nil {
		var we *wsError
		if errors.As(err, &we) {
			return &userError{http.StatusBadRequest, "kb.badcase", ""}
		}
		return err
	}
	return redirect(v, "/kb/"+a.Slug+"?done=pinned")
}

type kbResult struct {
	ID      int64  `json:"id"`
	Slug    string `json:"slug"`
	Title   string `json:"title"`
	Topic   string `json:"topic"`
	Status  string `json:"status"`
	Summary string `json:"summary"`
	Snippet string `json:"snippet"`
	URL     string `json:"url"`
}

// kbSearchAPI is the agent desk's search: GET /api/kb/search?q=…&limit=…
func (c *Console) kbSearchAPI(v *visit) error {
	q := strings.TrimSpace(v.r.URL.Query().Get("q"))
	if q == "" {
		return &userError{http.StatusBadRequest, "kb.noquery", ""}
	}
	if len(q) > maxQuery {
		return &userError{http.StatusBadRequest, "kb.querylong", ""}
	}
	limit := 10
	if s := v.r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 50 {
			return &userError{http.StatusBadRequest, "error.invalid", "limit: 1 to 50"}
		}
		limit = n
	}
	hits := c.kb.search(q, c.kbVisible(v), limit)
	out := struct {
		Query   string     `json:"query"`
		Results []kbResult `json:"results"`
	}{Query: q, Results: []kbResult{}}
	for _, h := range hits {
		a := h.Article
		out.Results = append(out.Results, kbResult{ID: a.ID, Slug: a.Slug, Title: a.Title, Topic: a.Topic, Status: a.Status,
			Summary: a.Summary, Snippet: h.Snippet, URL: fmt.Sprintf("/kb/%s", a.Slug)})
	}
	writeJSON(v.w, http.StatusOK, out)
	return nil
}
