// Score snapshots name their subject by key (subjectKey, subjectScheme) and no longer carry a
// SCORE_OF relationship: one edge per snapshot cost a third of each write and grew every
// entity's relationship list with its history. Remove the ones earlier versions wrote.
MATCH (:ScoreSnapshot)-[r:SCORE_OF]->() DELETE r;
