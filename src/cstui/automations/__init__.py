"""Running the automations: the sweeper loop that `cstui automations run` and `cstui serve`
start (`runner`). The rules are the domain's (`cstui.domain.automations`), the exactly-once
firing the store's (`cstui.store.automations`)."""
