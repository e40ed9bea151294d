import { createRouter, createWebHistory } from 'vue-router'
import ListView from './views/ListView.vue'
import AddView from './views/AddView.vue'
import DetailView from './views/DetailView.vue'
import NotFoundView from './views/NotFoundView.vue'

export const router = createRouter({
  history: createWebHistory(),
  routes: [
    { path: '/', redirect: { name: 'list' } },
    { path: '/subscribers', name: 'list', component: ListView, meta: { title: 'Subscribers' } },
    { path: '/subscribers/new', name: 'add', component: AddView, meta: { title: 'Add subscriber' } },
    {
      path: '/subscribers/:key',
      name: 'detail',
      component: DetailView,
      // `key` is reserved in Vue, so the component receives it as `lookup`.
      props: (route) => ({ lookup: String(route.params.key) }),
      meta: { title: 'Subscriber' },
    },
    { path: '/:rest(.*)*', name: 'not-found', component: NotFoundView, meta: { title: 'Not found' } },
  ],
})

router.afterEach((to) => {
  const title = typeof to.meta.title === 'string' ? to.meta.title : 'Subscribers'
  document.title = `${title} · subscriberd`
})
