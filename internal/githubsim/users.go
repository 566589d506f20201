package githubsim

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/google/go-github/v60/github"
)

// Who may read what. An organization's members read all of its
// repositories (GitHub's default base permission, "Read"); members of its
// teams are members. Outside collaborators read the repositories they were
// added to, and anybody reads a public repository. A user access token
// reaches only repositories of an installation of its App (oauth.go).

// collaboratorPermissions are the repository roles GitHub's collaborator
// API takes
// (https://docs.github.com/rest/collaborators/collaborators#add-a-repository-collaborator).
var collaboratorPermissions = []string{"pull", "triage", "push", "maintain", "admin"}

// AddOrgMember makes login an active member of the organization (created
// if new).
func (s *Server) AddOrgMember(orgLogin, login string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.userLocked(login)
	s.orgLocked(orgLogin).members[strings.ToLower(login)] = true
}

// SetRepoPrivate makes a repository private (the default) or public.
func (s *Server) SetRepoPrivate(owner, name string, private bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.repoLocked(owner, name).private = private
}

// AddCollaborator gives login a permission on one repository: pull,
// triage, push, maintain or admin.
func (s *Server) AddCollaborator(owner, name, login, permission string) {
	if !slices.Contains(collaboratorPermissions, permission) {
		panic(fmt.Sprintf("githubsim: permission %q is not one of %v", permission, collaboratorPermissions))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.userLocked(login)
	s.repoLocked(owner, name).collaborators[strings.ToLower(login)] = permission
}

func (r *repo) visibility() string {
	if r.private {
		return "private"
	}
	return "public"
}

func (o *org) isMember(login string) bool {
	key := strings.ToLower(login)
	if o.members[key] {
		return true
	}
	for _, t := range o.teams {
		if t.members[key] {
			return true
		}
	}
	return false
}

func (s *Server) canRead(login string, r *repo) bool {
	return !r.private || r.owner.isMember(login) || r.collaborators[strings.ToLower(login)] != ""
}

// GET /user: the user the token belongs to.
func (s *Server) getUser(c *call) reply {
	return reply{http.StatusOK, s.users[strings.ToLower(c.user.login)]}
}

// GET /user/memberships/orgs/{org}: the user's active membership, or 404
// for an organization they are not in or the App is not installed on
// (https://docs.github.com/en/rest/orgs/members#get-an-organization-membership-for-the-authenticated-user).
func (s *Server) getOrgMembership(c *call) reply {
	o := s.orgs[strings.ToLower(c.r.PathValue("org"))]
	if o == nil || s.installationFor(c.app, o) == nil || !o.isMember(c.user.login) {
		return notFound()
	}
	api := s.base + restPrefix
	return reply{http.StatusOK, &github.Membership{
		URL:             ptr(fmt.Sprintf("%s/orgs/%s/memberships/%s", api, o.login, c.user.login)),
		State:           ptr("active"),
		Role:            ptr("member"),
		OrganizationURL: ptr(api + "/orgs/" + o.login),
		Organization:    s.orgJSON(o),
		User:            s.users[strings.ToLower(c.user.login)],
	}}
}

// GET /user/teams (paginated): the user's teams in the organizations the
// App is installed on, each with its organization
// (https://docs.github.com/en/rest/teams/teams#list-teams-for-the-authenticated-user).
func (s *Server) listUserTeams(c *call) reply {
	key := strings.ToLower(c.user.login)
	var list []*team
	for _, o := range s.orgs {
		if s.installationFor(c.app, o) == nil {
			continue
		}
		for _, t := range o.teams {
			if t.members[key] {
				list = append(list, t)
			}
		}
	}
	slices.SortFunc(list, func(a, b *team) int { return int(a.id - b.id) })
	lo, hi := s.paginate(c, len(list), 0)
	out := make([]*github.Team, 0, hi-lo)
	for _, t := range list[lo:hi] {
		j := s.teamJSON(t)
		j.Organization = s.orgJSON(t.org)
		out = append(out, j)
	}
	return reply{http.StatusOK, out}
}

// GET /user/installations/{id}/repositories (paginated, by name): the
// installation's repositories the user may read; 404 for another App's
// installation or one where the user reads nothing
// (https://docs.github.com/en/rest/apps/installations#list-repositories-accessible-to-the-user-access-token).
func (s *Server) listUserInstallationRepos(c *call) reply {
	id, _ := strconv.ParseInt(c.r.PathValue("id"), 10, 64)
	inst := s.installs[id]
	if inst == nil || inst.app != c.app {
		return notFound()
	}
	var list []*repo
	for _, r := range s.repos {
		if r.owner == inst.account && s.canRead(c.user.login, r) {
			list = append(list, r)
		}
	}
	if len(list) == 0 {
		return notFound()
	}
	slices.SortFunc(list, func(a, b *repo) int { return strings.Compare(a.name, b.name) })
	lo, hi := s.paginate(c, len(list), 0)
	out := &github.ListRepositories{TotalCount: ptr(len(list)), Repositories: []*github.Repository{}}
	for _, r := range list[lo:hi] {
		out.Repositories = append(out.Repositories, s.repoJSON(r))
	}
	return reply{http.StatusOK, out}
}
