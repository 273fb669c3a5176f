DROP TABLE dummies;
