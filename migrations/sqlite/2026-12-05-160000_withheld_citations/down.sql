DROP TABLE offer_withheld_citations;
