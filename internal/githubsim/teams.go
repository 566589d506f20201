package githubsim

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-github/v60/github"
)

// org is an account that owns repositories and teams. Every account the
// simulator knows is an organization.
type org struct {
	login string
	user  *github.User // the account as GitHub shows it, type Organization
	teams map[string]*team
	// members are the logins added with AddOrgMember (lower-case); the
	// members of its teams are members too, as on GitHub.
	members map[string]bool
}

type team struct {
	id      int64
	slug    string
	org     *org
	members map[string]bool // lower-case logins
	// repos limits the team's repository access (lower-case names); nil
	// means every repository of the organization.
	repos map[string]bool
}

func (s *Server) orgLocked(login string) *org {
	key := strings.ToLower(login)
	if o := s.orgs[key]; o != nil {
		return o
	}
	id := s.id()
	o := &org{login: login, teams: map[string]*team{}, members: map[string]bool{}, user: &github.User{
		Login: ptr(login), ID: ptr(id), NodeID: ptr(nodeID("O", id)), Type: ptr("Organization"),
		URL: ptr(s.base + restPrefix + "/orgs/" + login), HTMLURL: ptr(s.base + "/" + login), SiteAdmin: ptr(false),
	}}
	s.orgs[key] = o
	return o
}

// userLocked returns the user with that login, creating it on first use.
func (s *Server) userLocked(login string) *github.User {
	key := strings.ToLower(login)
	if u := s.users[key]; u != nil {
		return u
	}
	id := s.id()
	u := &github.User{
		Login: ptr(login), ID: ptr(id), NodeID: ptr(nodeID("U", id)), Type: ptr("User"),
		URL: ptr(s.base + restPrefix + "/users/" + login), HTMLURL: ptr(s.base + "/" + login), SiteAdmin: ptr(false),
	}
	s.users[key] = u
	return u
}

func (s *Server) orgJSON(o *org) *github.Organization {
	return &github.Organization{
		Login: o.user.Login, ID: o.user.ID, NodeID: o.user.NodeID, URL: o.user.URL,
		HTMLURL: o.user.HTMLURL, Type: ptr("Organization"),
	}
}

func (s *Server) teamJSON(t *team) *github.Team {
	api := s.base + restPrefix
	return &github.Team{
		ID: ptr(t.id), NodeID: ptr(nodeID("T", t.id)), Name: ptr(t.slug), Slug: ptr(t.slug),
		Privacy: ptr("closed"), Permission: ptr("pull"),
		URL:             ptr(fmt.Sprintf("%s/organizations/%d/team/%d", api, t.org.user.GetID(), t.id)),
		HTMLURL:         ptr(fmt.Sprintf("%s/orgs/%s/teams/%s", s.base, t.org.login, t.slug)),
		MembersURL:      ptr(fmt.Sprintf("%s/organizations/%d/team/%d/members{/member}", api, t.org.user.GetID(), t.id)),
		RepositoriesURL: ptr(fmt.Sprintf("%s/organizations/%d/team/%d/repos", api, t.org.user.GetID(), t.id)),
		MembersCount:    ptr(len(t.members)),
	}
}

func (s *Server) teamLocked(orgLogin, slug string) *team {
	o := s.orgs[strings.ToLower(orgLogin)]
	if o == nil || o.teams[strings.ToLower(slug)] == nil {
		panic(fmt.Sprintf("githubsim: no team %s/%s", orgLogin, slug))
	}
	return o.teams[strings.ToLower(slug)]
}

// AddTeam creates the team org/slug if needed and adds members to it. A new
// team can access every repository of the organization (see RestrictTeam).
func (s *Server) AddTeam(orgLogin, slug string, members ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orgLocked(orgLogin)
	t := o.teams[strings.ToLower(slug)]
	if t == nil {
		t = &team{id: s.id(), slug: slug, org: o, members: map[string]bool{}}
		o.teams[strings.ToLower(slug)] = t
	}
	for _, m := range members {
		s.userLocked(m)
		t.members[strings.ToLower(m)] = true
	}
}

// RemoveTeamMember takes login out of the team.
func (s *Server) RemoveTeamMember(orgLogin, slug, login string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.teamLocked(orgLogin, slug).members, strings.ToLower(login))
}

// RestrictTeam limits the team's access to the named repositories of its
// organization (none: no access), so that requesting its review fails as
// GitHub fails it for a team that is not a collaborator.
func (s *Server) RestrictTeam(orgLogin, slug string, repos ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.teamLocked(orgLogin, slug)
	t.repos = map[string]bool{}
	for _, r := range repos {
		t.repos[strings.ToLower(r)] = true
	}
}

func (t *team) canAccess(r *repo) bool {
	return r.owner == t.org && (t.repos == nil || t.repos[strings.ToLower(r.name)])
}

// GET /orgs/{org}/teams/{slug}
func (s *Server) getTeam(c *call) reply {
	t := c.org.teams[strings.ToLower(c.r.PathValue("slug"))]
	if t == nil {
		return notFound()
	}
	return reply{http.StatusOK, s.teamJSON(t)}
}

// GET /orgs/{org}/teams/{slug}/memberships/{username}: 200 with state and
// role for a member, 404 otherwise
// (https://docs.github.com/rest/teams/members#get-team-membership-for-a-user).
func (s *Server) getTeamMembership(c *call) reply {
	t := c.org.teams[strings.ToLower(c.r.PathValue("slug"))]
	login := c.r.PathValue("username")
	if t == nil || !t.members[strings.ToLower(login)] {
		return notFound()
	}
	return reply{http.StatusOK, &github.Membership{
		URL:   ptr(fmt.Sprintf("%s%s/organizations/%d/team/%d/memberships/%s", s.base, restPrefix, c.org.user.GetID(), t.id, login)),
		Role:  ptr("member"),
		State: ptr("active"),
	}}
}
