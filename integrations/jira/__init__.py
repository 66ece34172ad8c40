"""JIRA (REST v3): the HTTP client, Atlassian Document Format, settings and reading a card's progress."""
