// Every GraphQL document the console sends, in one place: tests/test_console_documents.py
// validates each against api/schema.graphql, so a renamed field fails the suite, not a user.
// Plain strings only, never interpolated: what is here is exactly what is sent.

export const SCHEMES = `query Schemes {
  schemes { id title base subjects levels { name min max } }
}`;

export const SEARCH = `query Search($q: String!, $kind: SearchKind, $first: Int, $after: String) {
  search(query: $q, kind: $kind, first: $first, after: $after) {
    totalCount
    excludedKinds
    pageInfo { hasNextPage endCursor }
    edges { node { matchedOn via entity { __typename id name
      latest: scoreHistory(first: 1) { edges { node { level blacklisted } } }
      ... on Company { key status region }
      ... on Person { idNumber idType nationality profession } } } }
  }
}`;

export const SUGGEST = `query Suggest($q: String!) {
  search(query: $q, first: 8) {
    excludedKinds
    edges { node { matchedOn via entity { __typename id name
      ... on Company { key }
      ... on Person { idNumber idType nationality } } } }
  }
}`;

export const LINKAGE = `query Linkage($id: ID!, $hops: Int!) {
  linkage(id: $id, hops: $hops, limit: 200) {
    truncated
    nodes { id hops entity { __typename name } standing { scheme level value blacklisted } }
    edges { type startId endId stake role }
    hubs { id }
  }
}`;

export const PATHS = `query RiskPaths($from: ID!, $to: ID!, $hops: Int!) {
  riskPaths(from: $from, to: $to, maxHops: $hops, first: 5) {
    length risk
    nodes { id hops entity { __typename name } standing { scheme level value blacklisted } }
    edges { type direction relationship { type startId endId stake role } }
  }
}`;

export const COMMON_LINKS = `query CommonLinks($a: ID!, $b: ID!) {
  commonLinks(a: $a, b: $b) {
    kind value
    entity { __typename id name }
    pathFromA { type direction relationship { type startId endId stake role } }
    pathFromB { type direction relationship { type startId endId stake role } }
  }
}`;

export const OWNERS = `query UltimateOwners($key: String!, $minStake: Float!) {
  ultimateOwners(uscc: $key, minStake: $minStake) {
    effectiveStake truncated
    owner { __typename id name }
    chains { stake links { stake holder { __typename id name } company { id name } } }
  }
}`;

export const RISK_SCAN = `query RiskScan($id: ID!, $hops: Int!) {
  riskScan(id: $id, hops: $hops, first: 50) {
    warnings worstSeverity
    node { id hops entity { __typename name } standing { scheme level value blacklisted } }
    records { recordId code codeTitle { en zh } severity decidedOn }
  }
}`;

export const FILE = `query CreditFile($id: ID!) { node(id: $id) { __typename id
  ... on Company { name key uscc usccValid jurisdiction registryNumber registrationNumber address phone
                   status foundedOn registrationAuthority organisationType region legalRepresentativeName }
  ... on Person { name idNumber idType nationality profession
    representedCompanies { ...CompanyBrief }
    holdings { stake company { ...CompanyBrief } }
    offices { role company { ...CompanyBrief } } }
  ... on Entity {
    records(first: 100) { totalCount edges { node { recordId code codeTitle { en zh } polarity category
      severity decidedOn status authority caseNumber description penalty
      standing { status points countsUntil rule { id titleText { en zh } } } } } }
    score {
      value base level blacklisted blacklistReasons asOf
      scheme { id version title levels { name min max meaning { en zh } } }
      consequences { code kind inForce reasons titleText { en zh } descriptionText { en zh } }
      contributions(first: 100) { totalCount edges { node {
        kind points status recordId weight expiresOn rule { id titleText { en zh } }
        source { name } path { rel direction entity { name } } } } }
    }
    scoreHistory(first: 60) { edges { node { value level asOf } } }
  }
} }
fragment CompanyBrief on Company {
  id name key latest: scoreHistory(first: 1) { edges { node { level } } }
}`;
