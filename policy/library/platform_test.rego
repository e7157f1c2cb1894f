package paved.platform_test

import data.paved.fixtures as fx
import data.paved.platform

denied(inp, settings) if {
	some v in platform.deny with input as inp with data.guardrails as settings
	v.control == "DSO-PLT-02"
}

links(items) := fx.replace(fx.input_operate, "evidence", object.union(fx.input_operate.evidence, {fx.link_type: items}))

test_dso_plt_02_pass_stage_links_signed_by_builder if not denied(fx.input_operate, fx.settings)

test_dso_plt_02_pass_other_stages_not_judged if {
	not denied(links([fx.link("operate", "builder@example.com"), fx.link("build", "someone@example.com")]), fx.settings)
}

test_dso_plt_02_fail_no_link_of_stage if denied(links([fx.link("build", "builder@example.com")]), fx.settings)

test_dso_plt_02_fail_link_added_by_hand if denied(links([fx.link("operate", "builder@example.com"), fx.link("operate", "alice@example.com")]), fx.settings)

test_dso_plt_02_fail_no_trusted_builders if denied(fx.input_operate, {})

warned_01(inp, settings) if {
	some v in platform.warn with input as inp with data.guardrails as settings
	v.control == "DSO-PLT-01"
}

build_link(pipeline) := object.union(fx.link("build", "builder@example.com"), {"predicate": {"name": "compile", "byproducts": {"builderId": "https://builder.example/ci@v1", "stage": "build", "run": "run-1", "pipeline": pipeline}}})

test_dso_plt_01_pass_built_by_go_service if not warned_01(links([build_link("go-service")]), fx.settings)

test_dso_plt_01_pass_configured_pipeline if {
	not warned_01(links([build_link("java-service")]), object.union(fx.settings, {"paved_road_pipelines": ["java-service"]}))
}

test_dso_plt_01_fail_hand_rolled_pipeline if warned_01(links([build_link("go-service"), build_link("my-own-build")]), fx.settings)

test_dso_plt_01_fail_no_build_links if warned_01(links([fx.link("operate", "builder@example.com")]), fx.settings)
