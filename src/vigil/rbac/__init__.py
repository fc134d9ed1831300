"""Role-based access control: request attributes, rule matching, decisions, defaults.

Vocabulary (Sensu's): a *rule* grants *verbs* on *resources* (optionally only some
*resource_names*); a *role* (namespaced) or *cluster role* holds rules; a *binding* gives a
role to *subjects* (users or groups); *attributes* describe one request.
"""
