package console

import (
	"strings"

	"github.com/ascolto/ascolto/store"
)

// Permission names something a person may do. Every page, form and
// WebSocket message names exactly one; the table in newPolicy says which
// roles hold it. This is the only place roles are compared.
type Permission string

// Permissions of the console.
const (
	PermSignedIn   Permission = "signed-in"       // any role: home, account, language, WebSocket
	PermDesk       Permission = "desk"            // the agent desk
	PermWallboard  Permission = "wallboard"       // the supervisor wallboard
	PermAgentSelf  Permission = "agent.self"      // own state, own calls, dispositions
	PermSupervise  Permission = "agent.supervise" // other agents' state, listen/whisper/barge, moves
	PermMode       Permission = "mode.set"        // switch the operating mode
	PermKBRead     Permission = "kb.read"
	PermKBPin      Permission = "kb.pin"
	PermKBEdit     Permission = "kb.edit"
	PermUsers      Permission = "users.manage"
	PermOpsRoom    Permission = "opsroom"      // the operations-room pages (opsroom.go has the rest)
	PermTopicQueue Permission = "topic.queues" // live queue figures
	PermTopicAgent Permission = "topic.agents" // every agent's live state
	PermCases      Permission = "cases.read"   // case search, case view, attachments
	PermCaseWrite  Permission = "cases.write"  // notes, email replies, reviews, merge, close
)

// policy is the authorization table: permission → roles, WebSocket message
// type → permission, topic → permission.
type policy struct {
	roles    map[Permission]map[string]bool
	messages map[string]Permission
	topics   map[string]Permission
}

func newPolicy() *policy {
	everyone := []string{store.RoleAgent, store.RoleSupervisor, store.RoleOpsRoom, store.RoleAdmin}
	grant := map[Permission][]string{
		PermSignedIn:   everyone,
		PermDesk:       {store.RoleAgent, store.RoleSupervisor, store.RoleAdmin},
		PermWallboard:  {store.RoleSupervisor, store.RoleAdmin},
		PermAgentSelf:  {store.RoleAgent, store.RoleSupervisor, store.RoleAdmin},
		PermSupervise:  {store.RoleSupervisor, store.RoleAdmin},
		PermMode:       {store.RoleSupervisor, store.RoleAdmin},
		PermKBRead:     everyone,
		PermKBPin:      {store.RoleAgent, store.RoleSupervisor, store.RoleAdmin},
		PermKBEdit:     {store.RoleAdmin},
		PermUsers:      {store.RoleAdmin},
		PermOpsRoom:    {store.RoleOpsRoom, store.RoleSupervisor, store.RoleAdmin},
		PermTopicQueue: everyone,
		PermTopicAgent: {store.RoleSupervisor, store.RoleAdmin},
		PermCases:      everyone,
		PermCaseWrite:  everyone,
		// Canned replies and the channels' response times (casework.go).
		PermCannedReplies: {store.RoleAdmin},
		// The IVR flow's versions, upload, activation and rollback (ivr.go).
		PermIVR: {store.RoleAdmin},
		// Queues, seats and the on-call roster (acdadmin.go).
		PermACDAdmin: {store.RoleAdmin},
		// The on-call activation board and its open/close buttons.
		PermActivation:     {store.RoleSupervisor, store.RoleAdmin},
		PermActivationOpen: {store.RoleSupervisor, store.RoleAdmin},
		// The operations room: the room acknowledges and updates what it
		// receives; coordinators watch it and read the reports.
		PermOpsAct:  {store.RoleOpsRoom, store.RoleAdmin},
		PermReports: {store.RoleOpsRoom, store.RoleSupervisor, store.RoleAdmin},
	}
	p := &policy{roles: map[Permission]map[string]bool{}}
	for perm, roles := range grant {
		p.roles[perm] = map[string]bool{}
		for _, r := range roles {
			p.roles[perm][r] = true
		}
	}
	// Inbound WebSocket messages. Types the lead adds (listen, whisper,
	// barge, queue moves, mode changes) are listed here already, so the
	// table stays the one place to read who may do what.
	p.messages = map[string]Permission{
		"subscribe":              PermSignedIn,
		"unsubscribe":            PermSignedIn,
		"sync":                   PermSignedIn,
		"alive":                  PermSignedIn,
		"agent.state":            PermAgentSelf,
		"agent.call":             PermAgentSelf,
		"disposition.save":       PermAgentSelf,
		"kb.pin":                 PermKBPin,
		"supervisor.agent.state": PermSupervise,
		"supervisor.agent.move":  PermSupervise,
		"supervisor.listen":      PermSupervise,
		"supervisor.whisper":     PermSupervise,
		"supervisor.barge":       PermSupervise,
		"supervisor.stop":        PermSupervise,
		"mode.set":               PermMode,
		MsgOpsAck:                PermOpsAct,
		MsgOpsStatus:             PermOpsAct,
	}
	// Topics the server publishes on. "user:NAME" is personal and handled
	// apart: only NAME receives it.
	p.topics = map[string]Permission{
		TopicMode:       PermSignedIn,
		TopicKB:         PermSignedIn,
		TopicQueues:     PermTopicQueue,
		TopicActivation: PermActivation,
		TopicAgents:     PermTopicAgent,
		TopicOpsRoom:    PermOpsRoom,
		TopicOpsAlerts:  PermWallboard,
	}
	return p
}

// allows reports whether role holds perm.
func (p *policy) allows(role string, perm Permission) bool { return p.roles[perm][role] }

// message returns the permission an inbound message type needs.
func (p *policy) message(typ string) (Permission, bool) {
	perm, ok := p.messages[typ]
	return perm, ok
}

// topic reports whether a user may receive a topic.
func (p *policy) topic(username, role, topic string) bool {
	if name, ok := strings.CutPrefix(topic, "user:"); ok {
		return name == username
	}
	perm, ok := p.topics[topic]
	return ok && p.allows(role, perm)
}

// home is where a role lands after signing in: the operations room's
// people on their screen when it is mounted, on the knowledge base if not.
func (c *Console) home(role string) string {
	switch role {
	case store.RoleAgent:
		return "/agent"
	case store.RoleSupervisor, store.RoleAdmin:
		return "/supervisor"
	case store.RoleOpsRoom:
		if c.cat.has("nav.opsroom") {
			return "/opsroom"
		}
	}
	return "/kb"
}

// Topics the console publishes on.
const (
	TopicMode   = "mode"   // operating-mode changes
	TopicQueues = "queues" // queue figures (snapshot)
	TopicAgents = "agents" // every agent's state
	TopicKB     = "kb"     // knowledge-base changes and emergency notices
)

// UserTopic is the personal topic of a user (offers, own state).
func UserTopic(username string) string { return "user:" + username }
