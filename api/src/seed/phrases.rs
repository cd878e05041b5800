//! The words of the seeded data: subjects of UPR recommendations ("topics"), each with its
//! themes, groups of persons, SDG targets and the phrases recommendations, activities, offers
//! and requests about it are made of, in the wording UPR reports use.

use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;

/// One subject of recommendations, and what texts about it say.
pub struct Topic {
    /// Codes of the UPR Info vocabulary (`api/reference/themes.json`), the main one first.
    pub themes: &'static [&'static str],
    /// Codes of `api/reference/affected-persons.json`.
    pub persons: &'static [&'static str],
    /// SDG target codes.
    pub sdg: &'static [&'static str],
    /// What the State is asked to do: verb phrases in the base form.
    pub actions: &'static [&'static str],
    /// What it is about: noun phrases.
    pub subjects: &'static [&'static str],
    /// Treaties to ratify.
    pub instruments: &'static [&'static str],
    /// What a law should do: `to …` phrases.
    pub laws: &'static [&'static str],
    /// Who an activity about it trains or works with.
    pub audiences: &'static [&'static str],
    /// Who recommended it before ("as recommended by …").
    pub body: &'static str,
    /// Endings of sentences proper to the topic.
    pub extras: &'static [&'static str],
    /// How often the topic comes up, relative to the others.
    pub weight: u32,
}

pub const TOPICS: &[Topic] = &[
    Topic {
        themes: &["torture_and_cid_treatment", "detention"],
        persons: &["persons_deprived_of_liberty", "law_enforcement_officials"],
        sdg: &["16.3", "16.a"],
        actions: &[
            "prevent torture and ill-treatment in all places of detention",
            "investigate promptly and impartially all allegations of torture",
            "establish an independent national preventive mechanism",
            "ensure that victims of torture obtain redress and rehabilitation",
            "criminalize torture in line with the Convention against Torture",
            "end the use of confessions obtained under torture",
        ],
        subjects: &[
            "the prevention of torture",
            "the fight against torture and ill-treatment",
            "redress for victims of torture",
        ],
        instruments: &[
            "the Convention against Torture and Other Cruel, Inhuman or Degrading Treatment or Punishment",
            "the Optional Protocol to the Convention against Torture",
        ],
        laws: &[
            "to define and criminalize torture in line with article 1 of the Convention against Torture",
            "to exclude any evidence obtained under torture",
        ],
        audiences: &[
            "police officers",
            "prison staff",
            "judges and prosecutors",
            "members of the national preventive mechanism",
        ],
        body: "the Committee against Torture",
        extras: &[", and ensure that perpetrators are prosecuted and adequately punished"],
        weight: 6,
    },
    Topic {
        themes: &["detention", "justice"],
        persons: &["persons_deprived_of_liberty"],
        sdg: &["16.3"],
        actions: &[
            "improve conditions of detention and reduce prison overcrowding",
            "reduce the use of pre-trial detention",
            "promote alternatives to imprisonment",
            "ensure access to health care for all detainees",
            "separate juveniles from adults in all detention facilities",
        ],
        subjects: &[
            "prison reform",
            "conditions in places of detention",
            "alternatives to detention",
        ],
        instruments: &[],
        laws: &[
            "to limit the length of pre-trial detention",
            "to provide for alternatives to imprisonment",
        ],
        audiences: &[
            "prison staff",
            "judges and prosecutors",
            "probation officers",
        ],
        body: "the Subcommittee on Prevention of Torture",
        extras: &[", in line with the Nelson Mandela Rules"],
        weight: 4,
    },
    Topic {
        themes: &["death_penalty"],
        persons: &["persons_deprived_of_liberty"],
        sdg: &["16.1"],
        actions: &[
            "establish an official moratorium on executions with a view to abolishing the death penalty",
            "commute all death sentences to terms of imprisonment",
            "abolish the death penalty for all crimes",
            "reduce the number of crimes punishable by death",
        ],
        subjects: &["the abolition of the death penalty"],
        instruments: &[
            "the Second Optional Protocol to the International Covenant on Civil and Political Rights, aiming at the abolition of the death penalty",
        ],
        laws: &["to abolish the death penalty for all crimes"],
        audiences: &["parliamentarians", "judges and prosecutors"],
        body: "the Human Rights Committee",
        extras: &[
            ", and ensure that the rights of persons facing the death penalty are fully respected",
        ],
        weight: 3,
    },
    Topic {
        themes: &["womens_rights"],
        persons: &["women_and_girls"],
        sdg: &["5.1", "5.2", "5.5"],
        actions: &[
            "combat violence against women and girls",
            "eliminate discrimination against women in law and in practice",
            "increase the representation of women in political and public life",
            "ensure access to justice and protection for victims of domestic violence",
            "criminalize marital rape",
            "promote gender equality in employment and equal pay for work of equal value",
        ],
        subjects: &[
            "gender equality",
            "the empowerment of women",
            "the elimination of gender-based violence",
        ],
        instruments: &[
            "the Optional Protocol to the Convention on the Elimination of All Forms of Discrimination against Women",
            "the ILO Violence and Harassment Convention, 2019 (No. 190)",
        ],
        laws: &[
            "to criminalize all forms of domestic violence, including marital rape",
            "to remove all provisions that discriminate against women",
            "to guarantee equal inheritance rights for women and men",
        ],
        audiences: &[
            "police officers",
            "judges and prosecutors",
            "social workers",
            "women's organizations",
        ],
        body: "the Committee on the Elimination of Discrimination against Women",
        extras: &[
            ", and ensure that perpetrators are prosecuted and adequately punished",
            ", and provide shelters and support services for survivors",
        ],
        weight: 9,
    },
    Topic {
        themes: &["rights_of_the_child"],
        persons: &["children", "children_in_vulnerable_situations"],
        sdg: &["16.2", "4.1"],
        actions: &[
            "protect children from all forms of violence, abuse and exploitation",
            "prohibit corporal punishment of children in all settings",
            "strengthen the juvenile justice system",
            "ensure that all children have access to free and compulsory primary education",
            "end child labour",
        ],
        subjects: &[
            "the rights of the child",
            "child protection",
            "juvenile justice",
        ],
        instruments: &[
            "the Optional Protocol to the Convention on the Rights of the Child on a communications procedure",
            "the Optional Protocol to the Convention on the Rights of the Child on the sale of children, child prostitution and child pornography",
            "the Optional Protocol to the Convention on the Rights of the Child on the involvement of children in armed conflict",
        ],
        laws: &[
            "to prohibit corporal punishment of children in all settings",
            "to raise the minimum age of criminal responsibility in line with international standards",
        ],
        audiences: &[
            "social workers",
            "teachers",
            "child protection officers",
            "judges and prosecutors",
        ],
        body: "the Committee on the Rights of the Child",
        extras: &[
            ", and ensure that the best interests of the child guide all decisions affecting children",
        ],
        weight: 8,
    },
    Topic {
        themes: &["rights_of_the_child", "womens_rights"],
        persons: &["women_and_girls", "children"],
        sdg: &["5.3"],
        actions: &[
            "end child, early and forced marriage",
            "eliminate female genital mutilation",
            "raise the minimum age of marriage to 18 years for both girls and boys",
        ],
        subjects: &[
            "the elimination of harmful practices",
            "the prevention of child marriage",
        ],
        instruments: &[],
        laws: &[
            "to set the minimum age of marriage at 18 years without exception",
            "to criminalize female genital mutilation",
        ],
        audiences: &[
            "community and religious leaders",
            "health workers",
            "teachers",
        ],
        body: "the Committee on the Rights of the Child",
        extras: &[", and carry out awareness-raising campaigns in the communities concerned"],
        weight: 3,
    },
    Topic {
        themes: &["justice", "right_to_effective_remedy"],
        persons: &["judges_lawyers_and_prosecutors"],
        sdg: &["16.3"],
        actions: &[
            "guarantee the independence of the judiciary",
            "improve access to justice and legal aid",
            "reduce delays in judicial proceedings",
            "ensure the right to a fair trial",
            "strengthen the capacity of the judiciary",
        ],
        subjects: &[
            "judicial reform",
            "access to justice",
            "the independence of the judiciary",
        ],
        instruments: &[],
        laws: &[
            "to guarantee the independence of judges and prosecutors",
            "to establish a national legal aid system",
        ],
        audiences: &["judges and prosecutors", "lawyers", "court staff"],
        body: "the Special Rapporteur on the independence of judges and lawyers",
        extras: &[", in line with the Basic Principles on the Independence of the Judiciary"],
        weight: 5,
    },
    Topic {
        themes: &["human_rights_defenders", "civil_society"],
        persons: &["human_rights_defenders", "civil_society"],
        sdg: &["16.10"],
        actions: &[
            "protect human rights defenders from threats, harassment and reprisals",
            "create a safe and enabling environment for civil society",
            "investigate all attacks against human rights defenders",
            "ensure that human rights defenders can carry out their work without fear of reprisals",
        ],
        subjects: &["the protection of human rights defenders", "civic space"],
        instruments: &[],
        laws: &[
            "to recognize and protect human rights defenders",
            "to ensure that civil society organizations can register and operate freely",
        ],
        audiences: &[
            "civil society organizations",
            "police officers",
            "human rights defenders",
        ],
        body: "the Special Rapporteur on the situation of human rights defenders",
        extras: &[", and bring those responsible to justice"],
        weight: 5,
    },
    Topic {
        themes: &["freedom_of_opinion_and_expression", "freedom_of_the_press"],
        persons: &["media"],
        sdg: &["16.10"],
        actions: &[
            "guarantee freedom of expression online and offline",
            "protect journalists and media workers from violence",
            "decriminalize defamation",
            "ensure the independence of the media",
            "end the arbitrary blocking of websites",
        ],
        subjects: &[
            "freedom of expression",
            "media freedom",
            "the safety of journalists",
        ],
        instruments: &[],
        laws: &[
            "to decriminalize defamation and make it a civil matter",
            "to guarantee access to information held by public authorities",
        ],
        audiences: &["journalists", "police officers", "judges and prosecutors"],
        body: "the Special Rapporteur on the promotion and protection of the right to freedom of opinion and expression",
        extras: &[", and ensure accountability for attacks against journalists"],
        weight: 5,
    },
    Topic {
        themes: &["freedom_of_association_and_assembly"],
        persons: &["civil_society"],
        sdg: &["16.10", "16.7"],
        actions: &[
            "guarantee the right to peaceful assembly",
            "ensure that the policing of demonstrations complies with international standards",
            "remove undue restrictions on the registration of associations",
        ],
        subjects: &["freedom of peaceful assembly and of association"],
        instruments: &[],
        laws: &["to bring its law on public assemblies into line with international standards"],
        audiences: &["police officers", "civil society organizations"],
        body: "the Special Rapporteur on the rights to freedom of peaceful assembly and of association",
        extras: &[],
        weight: 3,
    },
    Topic {
        themes: &["nhri"],
        persons: &[],
        sdg: &["16.a"],
        actions: &[
            "establish a national human rights institution in full compliance with the Paris Principles",
            "strengthen the independence and resources of the national human rights institution",
            "seek the accreditation of its national human rights institution by GANHRI",
        ],
        subjects: &["the national human rights institution"],
        instruments: &[],
        laws: &[
            "to establish a national human rights institution in line with the Paris Principles",
        ],
        audiences: &["staff of the national human rights institution"],
        body: "the Global Alliance of National Human Rights Institutions",
        extras: &[", in accordance with the Paris Principles"],
        weight: 4,
    },
    Topic {
        themes: &["international_instruments"],
        persons: &[],
        sdg: &["16.a"],
        actions: &[
            "accept the competence of the treaty bodies to receive individual communications",
            "withdraw its reservations to the core human rights treaties",
            "complete the ratification of the core international human rights instruments",
        ],
        subjects: &["the ratification of international human rights instruments"],
        instruments: &[
            "the International Convention for the Protection of All Persons from Enforced Disappearance",
            "the International Convention on the Protection of the Rights of All Migrant Workers and Members of Their Families",
            "the Optional Protocol to the International Covenant on Economic, Social and Cultural Rights",
            "the Rome Statute of the International Criminal Court",
            "the International Covenant on Civil and Political Rights",
            "the Convention on the Rights of Persons with Disabilities",
            "the Convention relating to the Status of Stateless Persons",
        ],
        laws: &[],
        audiences: &["government officials", "parliamentarians"],
        body: "the treaty bodies",
        extras: &[],
        weight: 8,
    },
    Topic {
        themes: &["treaty_bodies", "special_procedures"],
        persons: &[],
        sdg: &["16.a"],
        actions: &[
            "submit its overdue reports to the treaty bodies",
            "extend a standing invitation to all special procedures",
            "accept the pending visit requests of special procedures mandate holders",
            "cooperate fully with the United Nations human rights mechanisms",
        ],
        subjects: &["cooperation with the United Nations human rights mechanisms"],
        instruments: &[],
        laws: &[],
        audiences: &["government officials"],
        body: "the Office of the High Commissioner for Human Rights",
        extras: &[],
        weight: 4,
    },
    Topic {
        themes: &[
            "upr_process",
            "national_plan_of_action",
            "technical_assistance_and_cooperation",
        ],
        persons: &[],
        sdg: &["16.6", "17.9"],
        actions: &[
            "establish a national mechanism for implementation, reporting and follow-up",
            "adopt a national human rights action plan",
            "involve civil society in the follow-up to the universal periodic review",
            "strengthen its national mechanism for reporting and follow-up",
        ],
        subjects: &[
            "the implementation of universal periodic review recommendations",
            "the national human rights action plan",
        ],
        instruments: &[],
        laws: &[],
        audiences: &[
            "members of the national mechanism for implementation, reporting and follow-up",
            "government officials",
        ],
        body: "the Office of the High Commissioner for Human Rights",
        extras: &[", with the technical assistance of OHCHR"],
        weight: 4,
    },
    Topic {
        themes: &["racial_discrimination", "minorities"],
        persons: &["minorities", "persons_of_african_descent", "non_citizens"],
        sdg: &["10.2", "10.3", "16.b"],
        actions: &[
            "combat racial discrimination, xenophobia and hate speech",
            "adopt a comprehensive anti-discrimination law",
            "prosecute hate crimes",
            "promote tolerance and intercultural dialogue",
        ],
        subjects: &[
            "the fight against racism and racial discrimination",
            "equality and non-discrimination",
        ],
        instruments: &[
            "the International Convention on the Elimination of All Forms of Racial Discrimination",
        ],
        laws: &[
            "to prohibit discrimination on all grounds, including race, colour, descent and national or ethnic origin",
            "to criminalize racist hate speech",
        ],
        audiences: &["police officers", "teachers", "journalists"],
        body: "the Committee on the Elimination of Racial Discrimination",
        extras: &[],
        weight: 4,
    },
    Topic {
        themes: &["persons_with_disabilities"],
        persons: &["persons_with_disabilities"],
        sdg: &["10.2", "4.5", "8.5"],
        actions: &[
            "ensure inclusive education for children with disabilities",
            "improve the accessibility of public buildings and transport",
            "guarantee the right of persons with disabilities to live independently",
            "promote the employment of persons with disabilities",
        ],
        subjects: &[
            "the rights of persons with disabilities",
            "inclusive education",
        ],
        instruments: &[
            "the Convention on the Rights of Persons with Disabilities",
            "the Optional Protocol to the Convention on the Rights of Persons with Disabilities",
        ],
        laws: &[
            "to bring its disability legislation into line with the Convention on the Rights of Persons with Disabilities",
        ],
        audiences: &[
            "teachers",
            "health workers",
            "organizations of persons with disabilities",
        ],
        body: "the Committee on the Rights of Persons with Disabilities",
        extras: &[],
        weight: 4,
    },
    Topic {
        themes: &["migrants", "asylum_seekers_refugees"],
        persons: &["migrants", "refugees_and_asylum_seekers"],
        sdg: &["10.7", "8.8"],
        actions: &[
            "protect the rights of migrants regardless of their status",
            "end the detention of migrant children",
            "guarantee access to fair and efficient asylum procedures",
            "respect the principle of non-refoulement",
            "combat discrimination and xenophobia against migrants",
        ],
        subjects: &[
            "the rights of migrants",
            "the protection of refugees and asylum-seekers",
        ],
        instruments: &[
            "the International Convention on the Protection of the Rights of All Migrant Workers and Members of Their Families",
            "the 1951 Convention relating to the Status of Refugees and its 1967 Protocol",
        ],
        laws: &[
            "to establish a national asylum procedure",
            "to prohibit the detention of migrant children",
        ],
        audiences: &["border officials", "immigration officers", "social workers"],
        body: "the Special Rapporteur on the human rights of migrants",
        extras: &[],
        weight: 4,
    },
    Topic {
        themes: &["trafficking"],
        persons: &["women_and_girls", "children", "migrants"],
        sdg: &["5.2", "8.7", "16.2"],
        actions: &[
            "combat trafficking in persons, in particular women and children",
            "identify and protect victims of trafficking",
            "prosecute and punish traffickers",
            "strengthen cooperation with countries of origin, transit and destination to prevent trafficking",
        ],
        subjects: &["the fight against trafficking in persons"],
        instruments: &[
            "the Protocol to Prevent, Suppress and Punish Trafficking in Persons, Especially Women and Children",
        ],
        laws: &["to criminalize all forms of trafficking in persons"],
        audiences: &[
            "police officers",
            "labour inspectors",
            "border officials",
            "judges and prosecutors",
        ],
        body: "the Special Rapporteur on trafficking in persons, especially women and children",
        extras: &[],
        weight: 4,
    },
    Topic {
        themes: &["labour"],
        persons: &["migrants", "women_and_girls"],
        sdg: &["8.5", "8.7", "8.8"],
        actions: &[
            "protect the labour rights of domestic workers",
            "abolish the sponsorship system for migrant workers",
            "eliminate forced labour",
            "ensure safe and healthy working conditions",
        ],
        subjects: &["labour rights", "decent work"],
        instruments: &[
            "the ILO Domestic Workers Convention, 2011 (No. 189)",
            "the Protocol of 2014 to the ILO Forced Labour Convention",
        ],
        laws: &["to extend labour protection to domestic workers"],
        audiences: &["labour inspectors", "employers' and workers' organizations"],
        body: "the International Labour Organization",
        extras: &[],
        weight: 3,
    },
    Topic {
        themes: &["right_to_education"],
        persons: &["children", "educational_staff_and_students"],
        sdg: &["4.1", "4.5", "4.a"],
        actions: &[
            "ensure free and compulsory primary education for all children",
            "increase the budget allocated to education",
            "reduce school dropout rates, in particular among girls",
            "improve the quality of education in rural areas",
            "ensure access to education for refugee and migrant children",
        ],
        subjects: &["the right to education", "access to quality education"],
        instruments: &["the UNESCO Convention against Discrimination in Education"],
        laws: &["to guarantee free and compulsory education for at least twelve years"],
        audiences: &[
            "teachers",
            "school inspectors",
            "ministry of education officials",
        ],
        body: "the Special Rapporteur on the right to education",
        extras: &[],
        weight: 5,
    },
    Topic {
        themes: &["right_to_health"],
        persons: &["women_and_girls", "children"],
        sdg: &["3.1", "3.2", "3.8"],
        actions: &[
            "reduce maternal and infant mortality",
            "ensure universal access to health care",
            "guarantee access to sexual and reproductive health services",
            "improve health services in rural areas",
        ],
        subjects: &[
            "the right to health",
            "maternal and child health",
            "universal health coverage",
        ],
        instruments: &[],
        laws: &["to guarantee universal health coverage"],
        audiences: &["health workers", "community health volunteers"],
        body: "the Special Rapporteur on the right to health",
        extras: &[],
        weight: 5,
    },
    Topic {
        themes: &["hiv_aids", "right_to_health"],
        persons: &["persons_living_with_hiv_aids"],
        sdg: &["3.3"],
        actions: &[
            "ensure access to antiretroviral treatment for all persons living with HIV",
            "combat the stigma and discrimination faced by persons living with HIV/AIDS",
        ],
        subjects: &["the response to HIV/AIDS"],
        instruments: &[],
        laws: &["to prohibit discrimination on the basis of HIV status"],
        audiences: &["health workers", "community health volunteers"],
        body: "UNAIDS",
        extras: &[],
        weight: 1,
    },
    Topic {
        themes: &["poverty", "development", "esc_rights_general"],
        persons: &["persons_living_in_poverty", "persons_living_in_rural_areas"],
        sdg: &["1.2", "1.3", "10.1"],
        actions: &[
            "reduce poverty and inequality",
            "strengthen social protection programmes",
            "ensure that development projects respect human rights",
            "improve living standards in rural areas",
        ],
        subjects: &[
            "poverty reduction",
            "sustainable development",
            "social protection",
        ],
        instruments: &[
            "the Optional Protocol to the International Covenant on Economic, Social and Cultural Rights",
        ],
        laws: &[],
        audiences: &["local government officials", "social workers"],
        body: "the Committee on Economic, Social and Cultural Rights",
        extras: &[", in accordance with the 2030 Agenda for Sustainable Development"],
        weight: 4,
    },
    Topic {
        themes: &["right_to_food", "right_to_water", "right_to_housing"],
        persons: &["persons_living_in_poverty"],
        sdg: &["2.1", "6.1", "11.1"],
        actions: &[
            "ensure access to safe drinking water and sanitation",
            "guarantee the right to adequate housing",
            "prevent forced evictions",
            "strengthen food security",
        ],
        subjects: &[
            "the right to adequate housing",
            "the right to food",
            "the rights to water and sanitation",
        ],
        instruments: &[],
        laws: &["to prohibit forced evictions"],
        audiences: &["local government officials", "community organizations"],
        body: "the Committee on Economic, Social and Cultural Rights",
        extras: &[],
        weight: 3,
    },
    Topic {
        themes: &["indigenous_peoples", "right_to_land"],
        persons: &["indigenous_peoples"],
        sdg: &["10.2", "2.3"],
        actions: &[
            "guarantee the land rights of indigenous peoples",
            "ensure the free, prior and informed consent of indigenous peoples",
            "protect indigenous languages and cultures",
        ],
        subjects: &["the rights of indigenous peoples"],
        instruments: &["the ILO Indigenous and Tribal Peoples Convention, 1989 (No. 169)"],
        laws: &["to recognize the collective land rights of indigenous peoples"],
        audiences: &["indigenous leaders", "local government officials"],
        body: "the Special Rapporteur on the rights of indigenous peoples",
        extras: &[],
        weight: 3,
    },
    Topic {
        themes: &["minorities", "racial_discrimination"],
        persons: &["minorities", "roma"],
        sdg: &["10.2"],
        actions: &[
            "protect the rights of persons belonging to minorities",
            "improve the access of Roma to education, housing and employment",
            "end the segregation of Roma children in schools",
        ],
        subjects: &["the rights of minorities", "the inclusion of Roma"],
        instruments: &["the Framework Convention for the Protection of National Minorities"],
        laws: &["to protect the rights of national minorities"],
        audiences: &["teachers", "local government officials"],
        body: "the Special Rapporteur on minority issues",
        extras: &[],
        weight: 2,
    },
    Topic {
        themes: &["sexual_orientation_and_gender_identity"],
        persons: &["lgbti_persons"],
        sdg: &["10.3", "16.b"],
        actions: &[
            "decriminalize consensual same-sex relations between adults",
            "combat discrimination and violence based on sexual orientation and gender identity",
            "investigate hate crimes against lesbian, gay, bisexual, transgender and intersex persons",
        ],
        subjects: &["the rights of lesbian, gay, bisexual, transgender and intersex persons"],
        instruments: &[],
        laws: &[
            "to prohibit discrimination on grounds of sexual orientation and gender identity",
            "to decriminalize consensual same-sex relations between adults",
        ],
        audiences: &["police officers", "health workers"],
        body: "the Independent Expert on sexual orientation and gender identity",
        extras: &[],
        weight: 3,
    },
    Topic {
        themes: &["birth_registration"],
        persons: &["children", "stateless_persons"],
        sdg: &["16.9"],
        actions: &[
            "ensure free and universal birth registration",
            "prevent and reduce statelessness",
        ],
        subjects: &["birth registration", "the prevention of statelessness"],
        instruments: &["the Convention on the Reduction of Statelessness"],
        laws: &["to guarantee the registration of every child at birth"],
        audiences: &["civil registration officers", "health workers"],
        body: "the Committee on the Rights of the Child",
        extras: &[", particularly in rural and remote areas"],
        weight: 2,
    },
    Topic {
        themes: &["corruption"],
        persons: &["public_officials"],
        sdg: &["16.5"],
        actions: &[
            "combat corruption at all levels",
            "strengthen the independence of the anti-corruption agency",
            "protect whistle-blowers who report corruption",
        ],
        subjects: &["the fight against corruption"],
        instruments: &["the United Nations Convention against Corruption"],
        laws: &["to protect whistle-blowers"],
        audiences: &["public officials", "judges and prosecutors"],
        body: "the Conference of the States Parties to the United Nations Convention against Corruption",
        extras: &[],
        weight: 2,
    },
    Topic {
        themes: &["human_rights_education_and_training"],
        persons: &["law_enforcement_officials", "public_officials"],
        sdg: &["4.7"],
        actions: &[
            "integrate human rights education into school curricula",
            "provide human rights training to law enforcement officials",
            "raise awareness of human rights among the population",
        ],
        subjects: &["human rights education and training"],
        instruments: &[],
        laws: &[],
        audiences: &["teachers", "police officers", "public officials"],
        body: "the Office of the High Commissioner for Human Rights",
        extras: &[],
        weight: 3,
    },
    Topic {
        themes: &["enforced_disappearances", "impunity"],
        persons: &["disappeared_persons"],
        sdg: &["16.3"],
        actions: &[
            "investigate all cases of enforced disappearance",
            "establish the fate and whereabouts of disappeared persons",
            "ensure reparation to the families of disappeared persons",
        ],
        subjects: &["the fight against enforced disappearances"],
        instruments: &[
            "the International Convention for the Protection of All Persons from Enforced Disappearance",
        ],
        laws: &["to criminalize enforced disappearance as a separate offence"],
        audiences: &["judges and prosecutors", "forensic experts"],
        body: "the Committee on Enforced Disappearances",
        extras: &[", and bring those responsible to justice"],
        weight: 2,
    },
    Topic {
        themes: &[
            "extrajudicial_executions",
            "violations_by_state_agents",
            "impunity",
        ],
        persons: &["law_enforcement_officials"],
        sdg: &["16.1", "16.3"],
        actions: &[
            "investigate all allegations of extrajudicial killings by the security forces",
            "ensure accountability for human rights violations committed by State agents",
            "regulate the use of force by law enforcement officials in line with international standards",
        ],
        subjects: &[
            "accountability of the security forces",
            "the fight against impunity",
        ],
        instruments: &[],
        laws: &["to regulate the use of force by law enforcement officials"],
        audiences: &["police officers", "members of the armed forces"],
        body: "the Special Rapporteur on extrajudicial, summary or arbitrary executions",
        extras: &[", and ensure that perpetrators are prosecuted and adequately punished"],
        weight: 2,
    },
    Topic {
        themes: &["freedom_of_religion_and_belief"],
        persons: &["minorities"],
        sdg: &["16.b"],
        actions: &[
            "guarantee freedom of religion or belief for all",
            "repeal its blasphemy laws",
            "protect religious minorities from violence and discrimination",
        ],
        subjects: &["freedom of religion or belief"],
        instruments: &[],
        laws: &[
            "to guarantee freedom of religion or belief in line with article 18 of the International Covenant on Civil and Political Rights",
        ],
        audiences: &["community and religious leaders", "public officials"],
        body: "the Special Rapporteur on freedom of religion or belief",
        extras: &[],
        weight: 2,
    },
    Topic {
        themes: &["elections", "cp_rights_general"],
        persons: &["youth", "women_and_girls"],
        sdg: &["16.7"],
        actions: &[
            "ensure free, fair and transparent elections",
            "guarantee the independence of the electoral commission",
            "promote the participation of women and young people in public affairs",
        ],
        subjects: &["electoral reform", "participation in public affairs"],
        instruments: &[],
        laws: &["to guarantee the independence of the electoral management body"],
        audiences: &["electoral officials", "parliamentarians"],
        body: "the Human Rights Committee",
        extras: &[],
        weight: 2,
    },
    Topic {
        themes: &["environment"],
        persons: &["persons_living_in_rural_areas", "indigenous_peoples"],
        sdg: &["13.1", "13.3"],
        actions: &[
            "integrate human rights into its climate change policies",
            "protect environmental human rights defenders",
            "guarantee the right to a clean, healthy and sustainable environment",
        ],
        subjects: &[
            "climate change and human rights",
            "the right to a healthy environment",
        ],
        instruments: &[
            "the Regional Agreement on Access to Information, Public Participation and Justice in Environmental Matters in Latin America and the Caribbean",
        ],
        laws: &["to recognize the right to a clean, healthy and sustainable environment"],
        audiences: &["local government officials", "community organizations"],
        body: "the Special Rapporteur on human rights and the environment",
        extras: &[],
        weight: 2,
    },
    Topic {
        themes: &["business_and_human_rights"],
        persons: &[],
        sdg: &["8.8", "12.6"],
        actions: &[
            "adopt a national action plan on business and human rights",
            "ensure that businesses respect human rights throughout their operations",
        ],
        subjects: &["business and human rights"],
        instruments: &[],
        laws: &["to require human rights due diligence from companies"],
        audiences: &["business associations", "labour inspectors"],
        body: "the Working Group on Business and Human Rights",
        extras: &[", in line with the Guiding Principles on Business and Human Rights"],
        weight: 1,
    },
    Topic {
        themes: &["counter_terrorism", "public_security"],
        persons: &["law_enforcement_officials"],
        sdg: &["16.a"],
        actions: &[
            "ensure that counter-terrorism measures comply with international human rights law",
            "review its counter-terrorism legislation to prevent its misuse against journalists and human rights defenders",
        ],
        subjects: &["human rights in the fight against terrorism"],
        instruments: &[],
        laws: &["to bring the definition of terrorism into line with international standards"],
        audiences: &["police officers", "judges and prosecutors"],
        body: "the Special Rapporteur on counter-terrorism and human rights",
        extras: &[],
        weight: 2,
    },
    Topic {
        themes: &[
            "internally_displaced_persons",
            "international_humanitarian_law",
        ],
        persons: &[
            "internally_displaced_persons",
            "persons_affected_by_armed_conflict",
        ],
        sdg: &["16.1"],
        actions: &[
            "protect civilians in armed conflict",
            "guarantee unimpeded humanitarian access",
            "find durable solutions for internally displaced persons",
        ],
        subjects: &["the protection of internally displaced persons"],
        instruments: &[
            "the African Union Convention for the Protection and Assistance of Internally Displaced Persons in Africa",
        ],
        laws: &["to protect the rights of internally displaced persons"],
        audiences: &["members of the armed forces", "humanitarian workers"],
        body: "the Special Rapporteur on the human rights of internally displaced persons",
        extras: &[],
        weight: 1,
    },
];

/// Endings any recommendation may have.
const ENDINGS: &[&str] = &[
    ", in line with its international human rights obligations",
    ", in consultation with civil society and the national human rights institution",
    ", and allocate adequate human, technical and financial resources for its implementation",
    ", particularly in rural and remote areas",
    ", with the support of the international community",
    ", and collect disaggregated data to monitor progress",
    ", and report on progress in its next national report",
    ", as a matter of priority",
    ", and raise public awareness in this regard",
    ", and ensure the meaningful participation of those concerned in its design and implementation",
    ", and evaluate its impact regularly",
];

/// Endings of a recommendation to ratify a treaty.
const TREATY_ENDINGS: &[&str] = &[
    ", and incorporate its provisions into domestic law",
    ", without reservations",
    ", and bring its national legislation into line with it",
    ", as previously recommended",
];

/// The phrase for a group of persons in a sentence.
pub fn persons_phrase(code: &str) -> Option<&'static str> {
    Some(match code {
        "women_and_girls" => "women and girls",
        "children" => "children",
        "children_in_vulnerable_situations" => "children in vulnerable situations",
        "youth" => "young people",
        "older_persons" => "older persons",
        "persons_with_disabilities" => "persons with disabilities",
        "migrants" => "migrants and members of their families",
        "refugees_and_asylum_seekers" => "refugees and asylum-seekers",
        "internally_displaced_persons" => "internally displaced persons",
        "stateless_persons" => "stateless persons",
        "non_citizens" => "non-citizens",
        "indigenous_peoples" => "indigenous peoples",
        "minorities" => "persons belonging to minorities",
        "roma" => "Roma",
        "persons_of_african_descent" => "people of African descent",
        "lgbti_persons" => "lesbian, gay, bisexual, transgender and intersex persons",
        "persons_living_in_poverty" => "persons living in poverty",
        "persons_living_in_rural_areas" => "persons living in rural areas",
        "persons_deprived_of_liberty" => "persons deprived of their liberty",
        "disappeared_persons" => "the families of disappeared persons",
        "human_rights_defenders" => "human rights defenders",
        "media" => "journalists and media workers",
        "civil_society" => "civil society organizations",
        "persons_living_with_hiv_aids" => "persons living with HIV/AIDS",
        "persons_affected_by_armed_conflict" => "persons affected by armed conflict",
        "judges_lawyers_and_prosecutors" => "judges, lawyers and prosecutors",
        "law_enforcement_officials" => "law enforcement officials",
        "public_officials" => "public officials",
        "health_professionals" => "health professionals",
        "educational_staff_and_students" => "teachers and students",
        "vulnerable_persons_and_groups" => "the most vulnerable groups",
        _ => return None,
    })
}

/// A verb phrase in the `-ing` form: "combat violence" → "combating violence".
pub fn gerund(phrase: &str) -> String {
    // "prevent and reduce statelessness" → "preventing and reducing statelessness".
    if let Some((verb, rest)) = phrase.split_once(" and ")
        && !verb.contains(' ')
    {
        return format!("{} and {}", gerund(verb), gerund(rest));
    }
    let (verb, rest) = phrase.split_once(' ').unwrap_or((phrase, ""));
    let ing = match verb {
        "be" => "being".to_owned(),
        "set" | "put" | "stop" | "submit" | "commit" => {
            format!("{verb}{}ing", &verb[verb.len() - 1..])
        }
        v if v.ends_with("ee") => format!("{v}ing"),
        v if v.ends_with('e') => format!("{}ing", &v[..v.len() - 1]),
        v => format!("{v}ing"),
    };
    if rest.is_empty() {
        ing
    } else {
        format!("{ing} {rest}")
    }
}

/// English ordinal of a UPR cycle.
pub fn ordinal(cycle: u8) -> &'static str {
    match cycle {
        1 => "first",
        2 => "second",
        3 => "third",
        _ => "fourth",
    }
}

/// Picks one of a non-empty list.
pub fn one(rng: &mut StdRng, items: &[&'static str]) -> &'static str {
    items.choose(rng).copied().unwrap_or("")
}

/// How a recommendation opens, by UPR Info's action category (5 = specific action), with
/// what each opening needs from its topic.
#[derive(Clone, Copy)]
enum Opening {
    Instrument(&'static str),
    Law(&'static str),
    Action(&'static str),
    Subject(&'static str),
}

const OPENINGS: &[(i64, u32, Opening)] = &[
    (5, 7, Opening::Instrument("Ratify")),
    (5, 3, Opening::Instrument("Accede to")),
    (5, 4, Opening::Law("Adopt legislation")),
    (5, 3, Opening::Law("Amend its national legislation")),
    (5, 2, Opening::Law("Enact a comprehensive law")),
    (4, 6, Opening::Action("Take effective measures to")),
    (4, 5, Opening::Action("Strengthen its efforts to")),
    (
        4,
        3,
        Opening::Subject("Adopt and implement a national action plan on"),
    ),
    (4, 4, Opening::Action("Intensify its efforts to")),
    (4, 3, Opening::Action("Develop a comprehensive strategy to")),
    (
        4,
        2,
        Opening::Subject("Ensure the effective implementation of its legislation on"),
    ),
    (4, 3, Opening::Action("Take all necessary measures to")),
    (4, 2, Opening::Action("Allocate sufficient resources to")),
    (3, 3, Opening::Instrument("Consider ratifying")),
    (3, 2, Opening::Law("Consider adopting legislation")),
    (
        3,
        2,
        Opening::Subject("Review its legislation and policies on"),
    ),
    (3, 2, Opening::Action("Explore ways to")),
    (2, 6, Opening::Action("Continue its efforts to")),
    (2, 3, Opening::Action("Pursue its efforts to")),
    (2, 3, Opening::Subject("Continue to promote")),
    (2, 2, Opening::Subject("Further strengthen its policies on")),
    (
        1,
        2,
        Opening::Subject("Share its experience and good practices on"),
    ),
    (
        1,
        2,
        Opening::Action("Seek technical assistance from OHCHR and other partners to"),
    ),
];

/// How a recommendation may end, written only when it is used.
enum Ending {
    Fixed(&'static str),
    IncludingBy(&'static str),
    And(&'static str),
    InParticular(&'static str),
    Attention(&'static str),
    RecommendedBy(&'static str),
}

impl Ending {
    fn write(&self, out: &mut String) {
        match self {
            Self::Fixed(text) => out.push_str(text),
            Self::IncludingBy(action) => {
                out.push_str(", including by ");
                out.push_str(&gerund(action));
            }
            Self::And(action) => {
                out.push_str(", and ");
                out.push_str(action);
            }
            Self::InParticular(persons) => {
                out.push_str(", in particular for ");
                out.push_str(persons);
            }
            Self::Attention(persons) => {
                out.push_str(", with particular attention to ");
                out.push_str(persons);
            }
            Self::RecommendedBy(body) => {
                out.push_str(", as recommended by ");
                out.push_str(body);
            }
        }
    }
}

/// Whether the topic has what the opening needs.
fn fits(opening: Opening, topic: &Topic) -> bool {
    match opening {
        Opening::Instrument(_) => !topic.instruments.is_empty(),
        Opening::Law(_) => !topic.laws.is_empty(),
        Opening::Action(_) | Opening::Subject(_) => true,
    }
}

/// A recommendation about `topic` of about `target` characters (100 to 600, the final full
/// stop included), and its action category.
pub fn recommendation(rng: &mut StdRng, topic: &Topic, target: usize) -> (String, i64) {
    let total: u32 = OPENINGS
        .iter()
        .filter(|(_, _, o)| fits(*o, topic))
        .map(|(_, w, _)| w)
        .sum();
    let mut roll = rng.random_range(0..total);
    let &(category, _, opening) = OPENINGS
        .iter()
        .filter(|(_, _, o)| fits(*o, topic))
        .find(|(_, w, _)| {
            if roll < *w {
                true
            } else {
                roll -= w;
                false
            }
        })
        .unwrap_or(&OPENINGS[5]);
    let mut used_actions: Vec<&'static str> = Vec::new();
    let (mut text, treaty) = match opening {
        Opening::Instrument(verb) => (format!("{verb} {}", one(rng, topic.instruments)), true),
        Opening::Law(verb) => (format!("{verb} {}", one(rng, topic.laws)), false),
        Opening::Action(verb) => {
            // Not "Strengthen its efforts to strengthen …".
            let first = verb.split(' ').next().unwrap_or("").to_lowercase();
            let mut action = one(rng, topic.actions);
            for _ in 0..4 {
                if !action.starts_with(&first) {
                    break;
                }
                action = one(rng, topic.actions);
            }
            used_actions.push(action);
            (format!("{verb} {action}"), false)
        }
        Opening::Subject(verb) => (format!("{verb} {}", one(rng, topic.subjects)), false),
    };
    // The endings it may take, in a random order: each at most once, each action once, and
    // not too many of a kind.
    let mut endings: Vec<Ending> = Vec::with_capacity(48);
    if treaty {
        endings.extend(TREATY_ENDINGS.iter().map(|e| Ending::Fixed(e)));
    }
    endings.extend(topic.extras.iter().map(|e| Ending::Fixed(e)));
    for action in topic.actions {
        endings.push(Ending::IncludingBy(action));
        endings.push(Ending::And(action));
    }
    for persons in topic.persons.iter().filter_map(|p| persons_phrase(p)) {
        endings.push(Ending::InParticular(persons));
        endings.push(Ending::Attention(persons));
    }
    endings.push(Ending::RecommendedBy(topic.body));
    endings.extend(ENDINGS.iter().map(|e| Ending::Fixed(e)));
    rand::seq::SliceRandom::shuffle(endings.as_mut_slice(), rng);
    let target = target.clamp(100, 600);
    let mut ending = String::new();
    let (mut ands, mut including, mut persons) = (0, 0, 0);
    let mut allowed = |e: &Ending, used_actions: &mut Vec<&'static str>| {
        let (count, limit) = match e {
            Ending::And(_) => (&mut ands, 2),
            Ending::IncludingBy(_) => (&mut including, 1),
            Ending::InParticular(_) | Ending::Attention(_) => (&mut persons, 1),
            _ => return true,
        };
        if let Ending::And(action) | Ending::IncludingBy(action) = e {
            if used_actions.contains(action) {
                return false;
            }
            used_actions.push(action);
        }
        if *count >= limit {
            return false;
        }
        *count += 1;
        true
    };
    for e in &endings {
        let len = text.chars().count();
        if len + 1 >= target {
            break;
        }
        ending.clear();
        e.write(&mut ending);
        if len + ending.chars().count() < 600 && allowed(e, &mut used_actions) {
            text.push_str(&ending);
        }
    }
    // Short openings with long endings only: add the shortest generic ones until it is long
    // enough.
    if text.chars().count() + 1 < 100 {
        let mut rest: Vec<&str> = ENDINGS
            .iter()
            .copied()
            .filter(|e| !text.contains(e))
            .collect();
        rest.sort_by_key(|e| e.len());
        for ending in rest {
            if text.chars().count() + 1 >= 100 {
                break;
            }
            text.push_str(ending);
        }
    }
    text.push('.');
    (text, category)
}

/// What an activity of each modality is called, `{a}` its audience, `{s}` its subject and
/// `{c}` its country.
pub fn activity_title(modality: &str) -> &'static [&'static str] {
    match modality {
        "training" => &[
            "Training of {a} on {s} in {c}",
            "{c}: capacity-building workshops for {a} on {s}",
            "Training-of-trainers programme on {s} for {a} ({c})",
        ],
        "legislative_advice" => &[
            "Technical advice on draft legislation on {s} in {c}",
            "Legislative review on {s} ({c})",
            "Support to the drafting of a law on {s} in {c}",
        ],
        "institution_building" => &[
            "Strengthening national institutions for {s} in {c}",
            "Institutional support on {s} to {c}",
            "Building the capacity of national authorities on {s} in {c}",
        ],
        "data_and_indicators" => &[
            "Human rights indicators on {s} for {c}",
            "Data collection and monitoring on {s} in {c}",
        ],
        "awareness_raising" => &[
            "Public awareness campaign on {s} in {c}",
            "{c}: raising awareness of {s} among {a}",
        ],
        "peer_exchange" => &[
            "Peer exchange on {s} with {c}",
            "South-South exchange of experience on {s} ({c})",
        ],
        "needs_assessment" => &[
            "Needs assessment on {s} in {c}",
            "Baseline study on {s} in {c}",
        ],
        "nmirf_support" => &[
            "Support to the national mechanism for implementation, reporting and follow-up of {c} on {s}",
            "Tracking the implementation of recommendations on {s} in {c}",
        ],
        "reporting_support" => &[
            "Support to {c} in reporting on {s} to the universal periodic review",
            "Mid-term reporting on recommendations on {s} ({c})",
        ],
        _ => &[
            "Technical cooperation programme on {s} in {c}",
            "{c}: support to national efforts on {s}",
        ],
    }
}

/// What an activity of each modality does, for its summary: `{a}` its audience.
pub fn modality_work(modality: &str) -> &'static str {
    match modality {
        "training" => "trains {a} through workshops, practical exercises and follow-up coaching",
        "legislative_advice" => {
            "provides written comments and expert advice on draft laws and regulations"
        }
        "institution_building" => {
            "helps national institutions set up procedures, train {a} and plan their work"
        }
        "data_and_indicators" => {
            "develops indicators and a system to collect and publish disaggregated data"
        }
        "awareness_raising" => {
            "reaches the public and {a} through media campaigns, radio programmes and community meetings"
        }
        "peer_exchange" => {
            "brings officials together with peers from other States to share what has worked"
        }
        "needs_assessment" => "assesses the gaps and needs of national institutions and {a}",
        "nmirf_support" => {
            "supports the national mechanism in clustering recommendations, planning their implementation and tracking progress"
        }
        "reporting_support" => {
            "supports the drafting of the national report through consultations with ministries and civil society"
        }
        _ => "supports national authorities and {a}",
    }
}

/// What a finished activity of each modality achieved: `{n}` a number, `{a}` its audience.
pub fn modality_result(modality: &str) -> &'static str {
    match modality {
        "training" => "{n} {a} trained; a pool of national trainers established",
        "legislative_advice" => {
            "A revised draft law submitted to parliament, taking into account {n} recommendations"
        }
        "institution_building" => "Internal procedures adopted and {n} staff members trained",
        "data_and_indicators" => "A set of {n} indicators adopted and the first data published",
        "awareness_raising" => "About {n} people reached through the campaign",
        "peer_exchange" => "{n} officials took part in study visits and exchanges",
        "needs_assessment" => {
            "An assessment report with {n} recommendations validated by the authorities"
        }
        "nmirf_support" => {
            "{n} recommendations clustered and entered into the national tracking database"
        }
        "reporting_support" => "The national report drafted after {n} consultations",
        _ => "{n} national partners supported",
    }
}

pub const LESSONS: &[&str] = &[
    "Early involvement of the national mechanism for implementation, reporting and follow-up made the results last.",
    "Working with civil society from the start built trust and improved the quality of the outcome.",
    "Turnover of trained officials calls for institutionalised training rather than one-off workshops.",
    "Linking the activity to specific UPR recommendations made it easier to secure political support.",
    "Disaggregated data were scarce; a baseline should be collected before the activity starts.",
    "Peer-to-peer exchanges were valued more than expert presentations.",
    "Sustained funding over several years is needed to see changes in practice.",
];

/// Words that vary organisations' names.
pub const ORG_FORMS: &[&str] = &[
    "Centre",
    "Coalition",
    "Network",
    "Foundation",
    "Association",
    "Institute",
    "Forum",
    "Alliance",
    "Initiative",
    "Observatory",
    "League",
    "Collective",
    "Council",
    "Movement",
];

pub const ORG_FOCUS: &[&str] = &[
    "for Human Rights",
    "for Justice and Peace",
    "for the Rights of the Child",
    "of Women Lawyers",
    "against Torture",
    "for Disability Rights",
    "for Press Freedom",
    "for Indigenous Peoples' Rights",
    "for Democracy and Human Rights",
    "for Legal Aid",
    "for Migrants' Rights",
    "for Gender Equality",
    "for the Prevention of Violence",
    "for Civic Education",
    "for Prison Reform",
    "for Economic and Social Rights",
    "of Human Rights Defenders",
    "for Minority Rights",
    "for Environmental Justice",
    "for Transparency and Accountability",
];

pub const UN_ENTITIES: &[(&str, &str)] = &[
    (
        "Office of the United Nations High Commissioner for Human Rights",
        "OHCHR",
    ),
    ("United Nations Development Programme", "UNDP"),
    ("United Nations Children's Fund", "UNICEF"),
    ("United Nations Population Fund", "UNFPA"),
    (
        "United Nations Entity for Gender Equality and the Empowerment of Women",
        "UN Women",
    ),
    (
        "Office of the United Nations High Commissioner for Refugees",
        "UNHCR",
    ),
    ("International Labour Organization", "ILO"),
    (
        "United Nations Educational, Scientific and Cultural Organization",
        "UNESCO",
    ),
    ("World Health Organization", "WHO"),
    ("United Nations Office on Drugs and Crime", "UNODC"),
    ("International Organization for Migration", "IOM"),
    (
        "Food and Agriculture Organization of the United Nations",
        "FAO",
    ),
    ("Joint United Nations Programme on HIV/AIDS", "UNAIDS"),
    ("United Nations Human Settlements Programme", "UN-Habitat"),
    ("United Nations Environment Programme", "UNEP"),
    ("United Nations Office for Project Services", "UNOPS"),
    ("United Nations Volunteers", "UNV"),
    (
        "United Nations Institute for Training and Research",
        "UNITAR",
    ),
];

pub const REGIONAL_ORGANISATIONS: &[&str] = &[
    "African Union Commission",
    "European Union",
    "Organization of American States",
    "Association of Southeast Asian Nations",
    "Council of Europe",
    "Organization for Security and Co-operation in Europe",
    "League of Arab States",
    "Economic Community of West African States",
    "Southern African Development Community",
    "Caribbean Community",
    "Pacific Islands Forum Secretariat",
    "Organisation of Islamic Cooperation",
    "East African Community",
    "Commonwealth of Independent States",
    "Central American Integration System",
    "Gulf Cooperation Council",
];

pub const REGIONAL_MECHANISMS: &[&str] = &[
    "African Commission on Human and Peoples' Rights",
    "African Court on Human and Peoples' Rights",
    "African Committee of Experts on the Rights and Welfare of the Child",
    "Inter-American Commission on Human Rights",
    "Inter-American Court of Human Rights",
    "European Court of Human Rights",
    "European Committee for the Prevention of Torture",
    "European Commission against Racism and Intolerance",
    "ASEAN Intergovernmental Commission on Human Rights",
    "Arab Human Rights Committee",
    "OIC Independent Permanent Human Rights Commission",
    "Group of Experts on Action against Violence against Women and Domestic Violence",
];

pub const ACADEMIA_FORMS: &[&str] = &[
    "Human Rights Centre, University of {c}",
    "Faculty of Law, National University of {c}",
    "{c} Institute of Human Rights Law",
    "Institute for Public Policy and Human Rights ({c})",
    "School of Social Sciences, State University of {c}",
    "Centre for Gender Studies, University of {c}",
];

pub const PRIVATE_FORMS: &[&str] = &[
    "{c} Chamber of Commerce and Industry",
    "{c} Business Council for Sustainable Development",
    "{c} Federation of Employers",
    "Global Compact Network {c}",
];

pub const OTHER_FORMS: &[&str] = &[
    "{c} Bar Association",
    "{c} Red Cross Society",
    "{c} Council of Religious Leaders",
    "{c} Association of Local Authorities",
    "{c} Trade Union Confederation",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::reference;
    use rand::SeedableRng;

    #[test]
    fn every_code_of_the_topics_is_in_the_reference_data() {
        let data = reference();
        for topic in TOPICS {
            for theme in topic.themes {
                assert!(data.theme(theme).is_some(), "theme {theme}");
            }
            for persons in topic.persons {
                assert!(data.affected_persons(persons).is_some(), "{persons}");
                assert!(persons_phrase(persons).is_some(), "{persons}");
            }
            for target in topic.sdg {
                assert!(data.sdg_target(target).is_some(), "SDG target {target}");
            }
            assert!(!topic.actions.is_empty() && !topic.subjects.is_empty());
            assert!(!topic.audiences.is_empty());
        }
    }

    #[test]
    fn gerunds() {
        assert_eq!(gerund("combat violence"), "combating violence");
        assert_eq!(gerund("ensure access"), "ensuring access");
        assert_eq!(gerund("guarantee it"), "guaranteeing it");
        assert_eq!(gerund("submit reports"), "submitting reports");
        assert_eq!(gerund("end"), "ending");
        assert_eq!(
            gerund("prevent and reduce statelessness"),
            "preventing and reducing statelessness"
        );
    }

    #[test]
    fn recommendations_are_sentences_of_100_to_600_characters() {
        let mut rng = StdRng::seed_from_u64(3);
        for i in 0..2_000 {
            let topic = &TOPICS[i % TOPICS.len()];
            let (text, category) = recommendation(&mut rng, topic, 90 + i % 530);
            let len = text.chars().count();
            assert!((100..=600).contains(&len), "{len}: {text}");
            assert!(text.ends_with('.') && !text.contains(",,"), "{text}");
            assert!((1..=5).contains(&category));
        }
    }
}
