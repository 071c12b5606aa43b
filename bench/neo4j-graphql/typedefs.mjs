export const typeDefs = /* GraphQL */ `
  type Company @node {
    uscc: String!
    name: String!
    status: String
    legalRepresentative: Person @relationship(type: "LEGAL_REPRESENTATIVE_OF", direction: IN)
    records: [Record!]! @relationship(type: "CONCERNS", direction: IN)
    shareholders: [Holder!]! @relationship(type: "SHAREHOLDER_OF", direction: IN, properties: "Stake")
    holdings: [Company!]! @relationship(type: "SHAREHOLDER_OF", direction: OUT, properties: "Stake")
  }
  type Person @node {
    idNumber: String!
    name: String!
    holdings: [Company!]! @relationship(type: "SHAREHOLDER_OF", direction: OUT, properties: "Stake")
  }
  union Holder = Person | Company
  type Stake @relationshipProperties {
    stake: Float
  }
  type Record @node {
    recordId: String!
    code: String!
    category: String
    polarity: String
    authority: String
    decidedOn: Date
    status: String
  }
`;
