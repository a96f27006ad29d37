import { createApp } from 'vue'
import { createRouter, createWebHistory } from 'vue-router'
import App from './App.vue'
import { i18n } from './i18n'
import { token } from './api'
import Login from './pages/Login.vue'
import Overview from './pages/Overview.vue'
import Trends from './pages/Trends.vue'
import Meters from './pages/Meters.vue'
import Carbon from './pages/Carbon.vue'
import Flow from './pages/Flow.vue'
import MeterDetail from './pages/MeterDetail.vue'
import Emissions from './pages/Emissions.vue'
import Reports from './pages/Reports.vue'
import './style.css'

const router = createRouter({
  history: createWebHistory(),
  routes: [
    { path: '/', redirect: '/overview' },
    { path: '/login', component: Login, meta: { public: true } },
    { path: '/overview', component: Overview },
    { path: '/trends', component: Trends },
    { path: '/meters', component: Meters },
    { path: '/carbon', component: Carbon },
    { path: '/flow', component: Flow },
    { path: '/meters/:id', component: MeterDetail },
    { path: '/emissions', component: Emissions },
    { path: '/reports', component: Reports },
    { path: '/:rest(.*)*', redirect: '/overview' },
  ],
})
router.beforeEach((to) => (to.meta.public || token() ? true : { path: '/login', query: { next: to.fullPath } }))

document.documentElement.lang = i18n.global.locale.value === 'zh' ? 'zh-CN' : 'en'
createApp(App).use(router).use(i18n).mount('#app')
